/**
 * Trained-model artifacts: a directory holding {@code manifest.json} and the family's weight files.
 * See {@link dev.sibyl.models.artifact.Artifacts} for the format and its versioning.
 */
package dev.sibyl.models.artifact;
