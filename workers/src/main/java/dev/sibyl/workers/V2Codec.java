package dev.sibyl.workers;

import com.google.protobuf.ByteString;
import dev.sibyl.workers.v2.InferParameter;
import dev.sibyl.workers.v2.InferTensorContents;
import dev.sibyl.workers.v2.ModelInferRequest;
import dev.sibyl.workers.v2.ModelInferResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * Translates between Open Inference Protocol (v2) messages and the model API's arrays (style rule
 * R6: the gRPC service and the client only map, this class only translates).
 *
 * <p>The tensors: input {@value #INPUT} of shape [batch, channels, lookback] and output {@value
 * #OUTPUT} of shape [batch, channels, horizon], datatype {@code FP32} or {@code FP64} (the output
 * takes the input's), row-major. The horizon is the request parameter {@value #HORIZON} (int64; the
 * model's trained horizon when absent). Data travels either in the typed {@code contents} or in
 * {@code raw_input_contents} / {@code raw_output_contents}, little-endian as the protocol says; the
 * answer uses the form the request used.
 *
 * <p>Keyed requests (see {@link KeyedRequest}): the string parameter {@value #SERIES_KEY} names
 * the series, the input's batch is then 1 (the window's channels are the series' variables), the
 * int64 parameter {@value #SERIES_END} (required with a key) is the time of the window's newest
 * point and {@value #SERIES_STEP} (int64, default 1) the spacing of its points. Without {@value
 * #SERIES_KEY} a request is stateless.
 */
public final class V2Codec {

  /** The input tensor's name. */
  public static final String INPUT = "windows";

  /** The output tensor's name. */
  public static final String OUTPUT = "forecast";

  /** The request parameter carrying the horizon. */
  public static final String HORIZON = "horizon";

  /** The request parameter naming the series of a keyed request. */
  public static final String SERIES_KEY = "series_key";

  /** The request parameter giving the time of a keyed window's newest point. */
  public static final String SERIES_END = "series_end";

  /** The request parameter giving the spacing of a keyed window's points (default 1). */
  public static final String SERIES_STEP = "series_step";

  /** 32-bit float datatype name in the protocol. */
  public static final String FP32 = "FP32";

  /** 64-bit float datatype name in the protocol. */
  public static final String FP64 = "FP64";

  private V2Codec() {}

  /**
   * A decoded inference request.
   *
   * @param model the model name
   * @param windows shape (batch, channels, lookback)
   * @param horizon the requested horizon, or 0 when the request names none
   * @param datatype {@value #FP32} or {@value #FP64}, the answer's too
   * @param raw whether the data came as raw bytes (and the answer goes so)
   */
  public record Call(String model, double[][][] windows, int horizon, String datatype, boolean raw) {}

  /**
   * Decodes a request.
   *
   * @param request the request; not null
   * @return the call
   * @throws IllegalArgumentException naming what is wrong: a missing or extra input, a bad name,
   *     datatype, shape or size, an unknown requested output, a bad horizon parameter
   */
  public static Call decode(ModelInferRequest request) {
    if (request.getInputsCount() != 1) {
      throw new IllegalArgumentException(
          "expected one input '" + INPUT + "', got " + request.getInputsCount() + " inputs");
    }
    ModelInferRequest.InferInputTensor input = request.getInputs(0);
    if (!INPUT.equals(input.getName())) {
      throw new IllegalArgumentException(
          "expected input '" + INPUT + "', got '" + input.getName() + "'");
    }
    for (ModelInferRequest.InferRequestedOutputTensor out : request.getOutputsList()) {
      if (!OUTPUT.equals(out.getName())) {
        throw new IllegalArgumentException(
            "unknown output '" + out.getName() + "'; the only output is '" + OUTPUT + "'");
      }
    }
    String datatype = input.getDatatype();
    if (!FP32.equals(datatype) && !FP64.equals(datatype)) {
      throw new IllegalArgumentException(
          "input '" + INPUT + "' must be FP32 or FP64, got '" + datatype + "'");
    }
    // 1. Shape [batch, channels, lookback]
    if (input.getShapeCount() != 3) {
      throw new IllegalArgumentException(
          "input '" + INPUT + "' must have shape [batch, channels, lookback], got " + input.getShapeList());
    }
    long b = input.getShape(0);
    long c = input.getShape(1);
    long l = input.getShape(2);
    if (b < 0 || c < 1 || l < 1 || b * c * l > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(
          "input '" + INPUT + "' has an invalid shape " + input.getShapeList());
    }
    int n = (int) (b * c * l);
    // 2. Elements, from raw bytes or typed contents
    boolean raw = request.getRawInputContentsCount() > 0;
    double[] flat;
    if (raw) {
      if (input.hasContents()) {
        throw new IllegalArgumentException(
            "raw_input_contents is set, so input '" + INPUT + "' must not also set contents");
      }
      if (request.getRawInputContentsCount() != 1) {
        throw new IllegalArgumentException(
            "expected one raw_input_contents entry, got " + request.getRawInputContentsCount());
      }
      flat = fromRaw(request.getRawInputContents(0), datatype, n);
    } else {
      flat = fromContents(input.getContents(), datatype, n);
    }
    double[][][] windows = new double[(int) b][(int) c][(int) l];
    int at = 0;
    for (double[][] window : windows) {
      for (double[] channel : window) {
        System.arraycopy(flat, at, channel, 0, channel.length);
        at += channel.length;
      }
    }
    return new Call(request.getModelName(), windows, horizon(request), datatype, raw);
  }

  private static int horizon(ModelInferRequest request) {
    InferParameter p = request.getParametersMap().get(HORIZON);
    if (p == null) {
      return 0;
    }
    long h;
    switch (p.getParameterChoiceCase()) {
      case INT64_PARAM -> h = p.getInt64Param();
      case STRING_PARAM -> {
        try {
          h = Long.parseLong(p.getStringParam().trim());
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException(
              "parameter '" + HORIZON + "' must be an integer, got '" + p.getStringParam() + "'");
        }
      }
      default -> throw new IllegalArgumentException(
          "parameter '" + HORIZON + "' must be an int64, got " + p.getParameterChoiceCase());
    }
    if (h < 1 || h > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("parameter '" + HORIZON + "' must be >= 1, got " + h);
    }
    return (int) h;
  }

  /**
   * The keyed part of a decoded request.
   *
   * @param request the request; not null
   * @param windows its decoded windows ({@link Call#windows()}); not null
   * @return the keyed request over {@code windows[0]}, or null when the request names no series
   * @throws IllegalArgumentException when the key is not a string or empty, the batch is not 1,
   *     {@value #SERIES_END} is missing, or a parameter is not an int64 (step: not positive)
   */
  public static KeyedRequest keyed(ModelInferRequest request, double[][][] windows) {
    InferParameter key = request.getParametersMap().get(SERIES_KEY);
    if (key == null) {
      return null;
    }
    if (key.getParameterChoiceCase() != InferParameter.ParameterChoiceCase.STRING_PARAM
        || key.getStringParam().isEmpty()) {
      throw new IllegalArgumentException("parameter '" + SERIES_KEY + "' must be a non-empty string");
    }
    if (windows.length != 1) {
      throw new IllegalArgumentException(
          "a keyed request ('" + SERIES_KEY + "') holds one window of the series' channels, got batch "
              + windows.length);
    }
    Long end = int64(request, SERIES_END);
    if (end == null) {
      throw new IllegalArgumentException(
          "parameter '" + SERIES_END + "' (the newest point's time) is required with '" + SERIES_KEY + "'");
    }
    Long step = int64(request, SERIES_STEP);
    if (step != null && step < 1) {
      throw new IllegalArgumentException("parameter '" + SERIES_STEP + "' must be >= 1, got " + step);
    }
    return new KeyedRequest(key.getStringParam(), windows[0], end, step == null ? 1 : step);
  }

  private static Long int64(ModelInferRequest request, String name) {
    InferParameter p = request.getParametersMap().get(name);
    if (p == null) {
      return null;
    }
    if (p.getParameterChoiceCase() != InferParameter.ParameterChoiceCase.INT64_PARAM) {
      throw new IllegalArgumentException(
          "parameter '" + name + "' must be an int64, got " + p.getParameterChoiceCase());
    }
    return p.getInt64Param();
  }

  private static double[] fromRaw(ByteString bytes, String datatype, int n) {
    int width = FP32.equals(datatype) ? Float.BYTES : Double.BYTES;
    if (bytes.size() != (long) n * width) {
      throw new IllegalArgumentException(
          "raw input of "
              + n
              + " "
              + datatype
              + " elements needs "
              + (long) n * width
              + " bytes, got "
              + bytes.size());
    }
    ByteBuffer buf = bytes.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    double[] flat = new double[n];
    for (int i = 0; i < n; i++) {
      flat[i] = width == Float.BYTES ? buf.getFloat() : buf.getDouble();
    }
    return flat;
  }

  private static double[] fromContents(InferTensorContents contents, String datatype, int n) {
    int count = FP32.equals(datatype) ? contents.getFp32ContentsCount() : contents.getFp64ContentsCount();
    if (count != n) {
      throw new IllegalArgumentException(
          "input '"
              + INPUT
              + "' shape needs "
              + n
              + " elements, contents."
              + (FP32.equals(datatype) ? "fp32_contents" : "fp64_contents")
              + " has "
              + count);
    }
    double[] flat = new double[n];
    if (FP32.equals(datatype)) {
      List<Float> values = contents.getFp32ContentsList();
      for (int i = 0; i < n; i++) {
        flat[i] = values.get(i);
      }
    } else {
      List<Double> values = contents.getFp64ContentsList();
      for (int i = 0; i < n; i++) {
        flat[i] = values.get(i);
      }
    }
    return flat;
  }

  /**
   * Encodes the answer to a call.
   *
   * @param call the decoded request; not null
   * @param id the request's id, echoed; not null (empty when none)
   * @param version the model's version; not null
   * @param forecast shape (batch, channels, horizon); not null
   * @param horizon the horizon forecast (the output's last dimension, also for an empty batch)
   * @return the response
   */
  public static ModelInferResponse encode(
      Call call, String id, String version, double[][][] forecast, int horizon) {
    int b = forecast.length;
    int c = b == 0 ? call.windows().length == 0 ? 0 : call.windows()[0].length : forecast[0].length;
    ModelInferResponse.InferOutputTensor.Builder out =
        ModelInferResponse.InferOutputTensor.newBuilder()
            .setName(OUTPUT)
            .setDatatype(call.datatype())
            .addShape(b)
            .addShape(c)
            .addShape(horizon);
    ModelInferResponse.Builder response =
        ModelInferResponse.newBuilder()
            .setModelName(call.model())
            .setModelVersion(version)
            .setId(id);
    if (call.raw()) {
      response.addOutputs(out).addRawOutputContents(toRaw(forecast, call.datatype()));
    } else {
      InferTensorContents.Builder contents = InferTensorContents.newBuilder();
      for (double[][] window : forecast) {
        for (double[] channel : window) {
          for (double v : channel) {
            if (FP32.equals(call.datatype())) {
              contents.addFp32Contents((float) v);
            } else {
              contents.addFp64Contents(v);
            }
          }
        }
      }
      response.addOutputs(out.setContents(contents));
    }
    return response.build();
  }

  /**
   * Encodes a request as FP64 raw contents (exact: the worker sees the caller's doubles).
   *
   * @param model the model name; not null
   * @param windows shape (batch, channels, lookback), rectangular; not null
   * @param horizon the horizon, at least 1
   * @return the request
   */
  public static ModelInferRequest request(String model, double[][][] windows, int horizon) {
    int b = windows.length;
    int c = b == 0 ? 0 : windows[0].length;
    int l = c == 0 ? 0 : windows[0][0].length;
    return ModelInferRequest.newBuilder()
        .setModelName(model)
        .putParameters(HORIZON, InferParameter.newBuilder().setInt64Param(horizon).build())
        .addInputs(
            ModelInferRequest.InferInputTensor.newBuilder()
                .setName(INPUT)
                .setDatatype(FP64)
                .addShape(b)
                .addShape(c)
                .addShape(l))
        .addRawInputContents(toRaw(windows, FP64))
        .build();
  }

  /**
   * Encodes a keyed request as FP64 raw contents: one window of the series' channels, with its
   * key and times as parameters.
   *
   * @param model the model name; not null
   * @param keyed the series and its window; not null
   * @param horizon the horizon, at least 1
   * @return the request
   */
  public static ModelInferRequest request(String model, KeyedRequest keyed, int horizon) {
    return request(model, new double[][][] {keyed.channels()}, horizon).toBuilder()
        .putParameters(SERIES_KEY, InferParameter.newBuilder().setStringParam(keyed.seriesKey()).build())
        .putParameters(SERIES_END, InferParameter.newBuilder().setInt64Param(keyed.lastTimestamp()).build())
        .putParameters(SERIES_STEP, InferParameter.newBuilder().setInt64Param(keyed.step()).build())
        .build();
  }

  /**
   * Decodes the {@value #OUTPUT} tensor of a response, from raw or typed contents.
   *
   * @param response the response; not null
   * @return shape (batch, channels, horizon)
   * @throws IllegalArgumentException when the response has no such output or its size is wrong
   */
  public static double[][][] forecast(ModelInferResponse response) {
    for (int i = 0; i < response.getOutputsCount(); i++) {
      ModelInferResponse.InferOutputTensor out = response.getOutputs(i);
      if (!OUTPUT.equals(out.getName())) {
        continue;
      }
      if (out.getShapeCount() != 3) {
        throw new IllegalArgumentException("output '" + OUTPUT + "' shape " + out.getShapeList());
      }
      int b = (int) out.getShape(0);
      int c = (int) out.getShape(1);
      int h = (int) out.getShape(2);
      int n = b * c * h;
      double[] flat =
          response.getRawOutputContentsCount() > i
              ? fromRaw(response.getRawOutputContents(i), out.getDatatype(), n)
              : fromContents(out.getContents(), out.getDatatype(), n);
      double[][][] forecast = new double[b][c][h];
      int at = 0;
      for (double[][] window : forecast) {
        for (double[] channel : window) {
          System.arraycopy(flat, at, channel, 0, h);
          at += h;
        }
      }
      return forecast;
    }
    throw new IllegalArgumentException("response has no output '" + OUTPUT + "'");
  }

  private static ByteString toRaw(double[][][] a, String datatype) {
    int n = 0;
    for (double[][] w : a) {
      for (double[] ch : w) {
        n += ch.length;
      }
    }
    int width = FP32.equals(datatype) ? Float.BYTES : Double.BYTES;
    ByteBuffer buf = ByteBuffer.allocate(n * width).order(ByteOrder.LITTLE_ENDIAN);
    for (double[][] w : a) {
      for (double[] ch : w) {
        for (double v : ch) {
          if (width == Float.BYTES) {
            buf.putFloat((float) v);
          } else {
            buf.putDouble(v);
          }
        }
      }
    }
    buf.flip();
    return ByteString.copyFrom(buf);
  }
}
