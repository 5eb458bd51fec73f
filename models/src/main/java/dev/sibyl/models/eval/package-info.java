/**
 * The evaluation harness: data sets, the ETT and generic CSV protocols (splits, train-only scaling,
 * stride-1 windows), MSE / MAE over every test window and channel, and the C-MAPSS reader with RMSE
 * and the PHM08 score.
 */
package dev.sibyl.models.eval;
