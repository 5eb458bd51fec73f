/**
 * Training-loop pieces shared by the DJL families: Adam on raw NDArrays, early stopping with the
 * best checkpoint, the DLinear learning-rate schedule, shuffled batches of window indices, and the
 * epoch loop of the frozen-backbone families ({@link dev.sibyl.models.train.EpochLoop}).
 */
package dev.sibyl.models.train;
