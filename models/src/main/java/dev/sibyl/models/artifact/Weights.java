package dev.sibyl.models.artifact;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Named float tensors in one weight file, DJL {@link NDList} encoding. The arrays live on the Java
 * heap on both sides: the manager used for the encoding is opened and closed inside each call.
 */
public final class Weights {

  /**
   * One named tensor.
   *
   * @param data row-major values; shape (product of shape)
   * @param shape the dimensions
   */
  public record Tensor(float[] data, long[] shape) {}

  private Weights() {}

  /**
   * Writes named tensors.
   *
   * @param file the weight file; not null
   * @param tensors name to tensor, in order; not null
   * @throws IOException when the file cannot be written
   */
  public static void write(Path file, Map<String, Tensor> tensors) throws IOException {
    try (NDManager manager = NDManager.newBaseManager();
        OutputStream out = new BufferedOutputStream(Files.newOutputStream(file))) {
      NDList list = new NDList();
      for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
        NDArray a = manager.create(e.getValue().data(), new Shape(e.getValue().shape()));
        a.setName(e.getKey());
        list.add(a);
      }
      list.encode(out);
    }
  }

  /**
   * Reads named tensors.
   *
   * @param file the weight file; not null
   * @return name to tensor, in file order
   * @throws ArtifactException naming the file when it is missing or not an NDList encoding
   */
  public static Map<String, Tensor> read(Path file) throws ArtifactException {
    if (!Files.isRegularFile(file)) {
      throw new ArtifactException(file, "weight file missing", null);
    }
    try (NDManager manager = NDManager.newBaseManager();
        InputStream in = new BufferedInputStream(Files.newInputStream(file))) {
      NDList list = NDList.decode(manager, in);
      Map<String, Tensor> tensors = new LinkedHashMap<>();
      for (NDArray a : list) {
        tensors.put(a.getName(), new Tensor(a.toFloatArray(), a.getShape().getShape()));
      }
      return tensors;
    } catch (IOException | RuntimeException e) {
      throw new ArtifactException(file, "corrupt weight file: " + e.getMessage(), e);
    }
  }

  /**
   * One tensor of a read file, shape-checked.
   *
   * @param file the file, for the message
   * @param tensors what {@link #read} returned
   * @param name the tensor's name
   * @param shape the expected shape
   * @return the values
   * @throws ArtifactException naming the file, the tensor and the expected and actual shapes
   */
  public static float[] require(Path file, Map<String, Tensor> tensors, String name, long... shape)
      throws ArtifactException {
    Tensor t = tensors.get(name);
    if (t == null) {
      throw new ArtifactException(file, "tensor '" + name + "' missing", null);
    }
    if (!java.util.Arrays.equals(t.shape(), shape)) {
      throw new ArtifactException(
          file,
          "tensor '"
              + name
              + "' has shape "
              + java.util.Arrays.toString(t.shape())
              + ", expected "
              + java.util.Arrays.toString(shape),
          null);
    }
    return t.data();
  }
}
