package dev.sibyl.models.backbone;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The loop-based reference (R7 naive twin): a line-by-line port of llama2.c's run.c {@code
 * forward()} on float arrays, with its own reader of the checkpoint, one token per call.
 */
final class NaiveLlama2c {

  final int dim;
  final int hidden;
  final int layers;
  final int heads;
  final int kvHeads;
  final int vocab;
  final int seqLen;
  final int headSize;
  final int kvDim;

  private final float[] embedding; // (vocab, dim)
  private final float[] rmsAtt; // (layer, dim)
  private final float[] wq; // (layer, dim, dim)
  private final float[] wk; // (layer, kvDim, dim)
  private final float[] wv; // (layer, kvDim, dim)
  private final float[] wo; // (layer, dim, dim)
  private final float[] rmsFfn; // (layer, dim)
  private final float[] w1; // (layer, hidden, dim)
  private final float[] w2; // (layer, dim, hidden)
  private final float[] w3; // (layer, hidden, dim)
  private final float[] rmsFinal; // (dim)
  private final float[] wcls; // (vocab, dim)

  private final float[] keyCache; // (layer, seqLen, kvDim)
  private final float[] valueCache; // (layer, seqLen, kvDim)

  NaiveLlama2c(Path file) throws IOException {
    ByteBuffer bb = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
    dim = bb.getInt();
    hidden = bb.getInt();
    layers = bb.getInt();
    heads = bb.getInt();
    kvHeads = bb.getInt();
    int v = bb.getInt();
    seqLen = bb.getInt();
    vocab = Math.abs(v);
    headSize = dim / heads;
    kvDim = dim * kvHeads / heads;
    FloatBuffer f = bb.slice().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
    embedding = read(f, vocab * dim);
    rmsAtt = read(f, layers * dim);
    wq = read(f, layers * dim * dim);
    wk = read(f, layers * kvDim * dim);
    wv = read(f, layers * kvDim * dim);
    wo = read(f, layers * dim * dim);
    rmsFfn = read(f, layers * dim);
    w1 = read(f, layers * hidden * dim);
    w2 = read(f, layers * dim * hidden);
    w3 = read(f, layers * hidden * dim);
    rmsFinal = read(f, dim);
    f.position(f.position() + seqLen * headSize);
    wcls = v > 0 ? embedding : read(f, vocab * dim);
    keyCache = new float[layers * seqLen * kvDim];
    valueCache = new float[layers * seqLen * kvDim];
  }

  /** run.c forward(transformer, token, pos): the logits (vocab) of one token at pos. */
  float[] forward(int token, int pos) {
    float[] x = new float[dim];
    float[] xb = new float[dim];
    float[] q = new float[dim];
    float[] hb = new float[hidden];
    float[] hb2 = new float[hidden];
    int kvMul = heads / kvHeads;
    System.arraycopy(embedding, token * dim, x, 0, dim);
    for (int l = 0; l < layers; l++) {
      rmsnorm(xb, x, rmsAtt, l * dim);
      int loff = l * seqLen * kvDim;
      float[] k = new float[kvDim];
      float[] v = new float[kvDim];
      matmul(q, xb, wq, l * dim * dim, dim, dim);
      matmul(k, xb, wk, l * dim * kvDim, dim, kvDim);
      matmul(v, xb, wv, l * dim * kvDim, dim, kvDim);
      for (int i = 0; i < dim; i += 2) {
        int headDim = i % headSize;
        float freq = 1.0f / (float) Math.pow(10000.0f, headDim / (float) headSize);
        float val = pos * freq;
        float fcr = (float) Math.cos(val);
        float fci = (float) Math.sin(val);
        int rotn = i < kvDim ? 2 : 1;
        for (int r = 0; r < rotn; r++) {
          float[] vec = r == 0 ? q : k;
          float v0 = vec[i];
          float v1 = vec[i + 1];
          vec[i] = v0 * fcr - v1 * fci;
          vec[i + 1] = v0 * fci + v1 * fcr;
        }
      }
      System.arraycopy(k, 0, keyCache, loff + pos * kvDim, kvDim);
      System.arraycopy(v, 0, valueCache, loff + pos * kvDim, kvDim);
      for (int h = 0; h < heads; h++) {
        float[] att = new float[pos + 1];
        for (int t = 0; t <= pos; t++) {
          int kOff = loff + t * kvDim + (h / kvMul) * headSize;
          float score = 0f;
          for (int i = 0; i < headSize; i++) {
            score += q[h * headSize + i] * keyCache[kOff + i];
          }
          att[t] = score / (float) Math.sqrt(headSize);
        }
        softmax(att);
        for (int i = 0; i < headSize; i++) {
          xb[h * headSize + i] = 0f;
        }
        for (int t = 0; t <= pos; t++) {
          int vOff = loff + t * kvDim + (h / kvMul) * headSize;
          for (int i = 0; i < headSize; i++) {
            xb[h * headSize + i] += att[t] * valueCache[vOff + i];
          }
        }
      }
      float[] xb2 = new float[dim];
      matmul(xb2, xb, wo, l * dim * dim, dim, dim);
      for (int i = 0; i < dim; i++) {
        x[i] += xb2[i];
      }
      rmsnorm(xb, x, rmsFfn, l * dim);
      matmul(hb, xb, w1, l * dim * hidden, dim, hidden);
      matmul(hb2, xb, w3, l * dim * hidden, dim, hidden);
      for (int i = 0; i < hidden; i++) {
        float val = hb[i];
        val *= (1.0f / (1.0f + (float) Math.exp(-val)));
        hb[i] = val * hb2[i];
      }
      matmul(xb, hb, w2, l * dim * hidden, hidden, dim);
      for (int i = 0; i < dim; i++) {
        x[i] += xb[i];
      }
    }
    rmsnorm(x, x, rmsFinal, 0);
    float[] logits = new float[vocab];
    matmul(logits, x, wcls, 0, dim, vocab);
    return logits;
  }

  private void rmsnorm(float[] o, float[] x, float[] w, int wOff) {
    float ss = 0f;
    for (float v : x) {
      ss += v * v;
    }
    ss /= x.length;
    ss += 1e-5f;
    ss = 1.0f / (float) Math.sqrt(ss);
    for (int j = 0; j < x.length; j++) {
      o[j] = w[wOff + j] * (ss * x[j]);
    }
  }

  private static void softmax(float[] x) {
    float max = x[0];
    for (float v : x) {
      max = Math.max(max, v);
    }
    float sum = 0f;
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) Math.exp(x[i] - max);
      sum += x[i];
    }
    for (int i = 0; i < x.length; i++) {
      x[i] /= sum;
    }
  }

  /** W (d, n) @ x (n) -> xout (d), W at offset. */
  private static void matmul(float[] xout, float[] x, float[] w, int off, int n, int d) {
    for (int i = 0; i < d; i++) {
      float val = 0f;
      for (int j = 0; j < n; j++) {
        val += w[off + i * n + j] * x[j];
      }
      xout[i] = val;
    }
  }

  private static float[] read(FloatBuffer f, int n) {
    float[] out = new float[n];
    f.get(out);
    return out;
  }
}
