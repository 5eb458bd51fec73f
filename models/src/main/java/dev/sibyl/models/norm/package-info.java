/**
 * Normalisation the forecasters share: reversible instance normalisation ({@link
 * dev.sibyl.models.norm.RevIn}) of each series by its own lookback, used by Time-LLM, AutoTimes and
 * SMETimes alike.
 */
package dev.sibyl.models.norm;
