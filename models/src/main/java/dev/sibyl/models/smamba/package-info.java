/**
 * S-Mamba (Wang et al., 2024): Mamba over the variate axis for multivariate long-term forecasting,
 * on DJL.
 *
 * <p>{@link dev.sibyl.models.smamba.SMamba} is the model (a multivariate {@link
 * dev.sibyl.models.api.WindowModel}: {@code channels()} is the variate count it was trained on),
 * {@link dev.sibyl.models.smamba.SMambaFamily} trains, saves and loads it as family {@code
 * s-mamba}, {@link dev.sibyl.models.smamba.MambaBlock} is one Mamba block and {@link
 * dev.sibyl.models.smamba.SelectiveScan} its scan. {@link dev.sibyl.models.smamba.SMambaConfig}
 * holds the hyperparameters.
 */
package dev.sibyl.models.smamba;
