package dev.sibyl.models.testing;

import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Makes the JVM free the direct buffers nothing references any more, then hands their memory out
 * again filled with a known pattern: a libtorch tensor that still points into a freed buffer then
 * reads the pattern instead of its data. This is how DJL's CPU arrays made from Java data fail
 * (they wrap a direct buffer the NDArray keeps alive only until it is closed), made deterministic
 * enough for a test: without it the freeing waits for whenever the collector runs.
 */
public final class FreedBuffers {

  /** The float whose four bytes are all 0x7f, about 3.4e38: what a reused buffer reads as. */
  public static final float PATTERN = Float.intBitsToFloat(0x7f7f7f7f);

  private static final int ROUNDS = 40;
  private static final int BUFFERS_PER_ROUND = 16;

  private FreedBuffers() {}

  /**
   * Collects until the direct memory in use has dropped below {@code before - bytes} (or 40
   * rounds pass), then allocates buffers of {@code bytes} filled with {@link #PATTERN}.
   *
   * @param before the direct memory in use when the buffer was still referenced, from {@link
   *     #directMemoryUsed()}
   * @param bytes the freed buffer's size
   * @return the new buffers; keep them referenced until the check is done
   */
  public static List<ByteBuffer> reclaimAndReuse(long before, int bytes) throws InterruptedException {
    List<ByteBuffer> reused = new ArrayList<>();
    for (int round = 0; round < ROUNDS && directMemoryUsed() > before - bytes; round++) {
      System.gc();
      Thread.sleep(25);
    }
    for (int i = 0; i < BUFFERS_PER_ROUND; i++) {
      ByteBuffer b = ByteBuffer.allocateDirect(bytes);
      while (b.hasRemaining()) {
        b.put((byte) 0x7f);
      }
      reused.add(b);
    }
    return reused;
  }

  /**
   * The JVM's direct buffer pool in use, in bytes.
   *
   * @return bytes
   */
  public static long directMemoryUsed() {
    for (BufferPoolMXBean pool : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
      if (pool.getName().equals("direct")) {
        return pool.getMemoryUsed();
      }
    }
    throw new IllegalStateException("the JVM reports no direct buffer pool");
  }
}
