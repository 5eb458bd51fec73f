/**
 * Remaining-useful-life models and their artifacts: {@link dev.sibyl.models.rul.Prognostics} (train,
 * save, {@link dev.sibyl.models.rul.Prognostics#load load} a {@link dev.sibyl.models.api.Prognostic}
 * from an artifact directory) and the learned control {@link dev.sibyl.models.rul.CnnRul}, a 1D-CNN
 * over 30-cycle windows trained by {@link dev.sibyl.models.rul.CnnRulTrainer}. The ARPHMM itself
 * lives in {@code dev.sibyl.models.arphmm}.
 */
package dev.sibyl.models.rul;
