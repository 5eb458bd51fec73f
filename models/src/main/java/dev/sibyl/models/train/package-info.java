/**
 * Training-loop pieces shared by the DJL families: Adam on raw NDArrays, early stopping with the
 * best checkpoint, the DLinear learning-rate schedule and shuffled batches of window indices.
 */
package dev.sibyl.models.train;
