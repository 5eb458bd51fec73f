package dev.sibyl.models.api;

import dev.sibyl.models.autotimes.AutoTimesFamily;
import dev.sibyl.models.controls.ArFamily;
import dev.sibyl.models.controls.DlinearFamily;
import dev.sibyl.models.smamba.SMambaFamily;
import dev.sibyl.models.smetimes.SmeTimesFamily;
import dev.sibyl.models.timellm.TimeLlmFamily;
import java.util.Collections;
import java.util.Objects;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The trainable families by name. A family is one {@link #register} line in the static block. Used
 * by the {@code train} / {@code evaluate} commands, by artifact loading (a manifest names its
 * family) and by {@link ForecasterRegistry} for trained families.
 */
public final class ModelRegistry {

  /** Name to family; filled once in the static block, read-only afterwards. */
  private static final SortedMap<String, ModelFamily> FAMILIES;

  static {
    SortedMap<String, ModelFamily> families = new TreeMap<>();
    register(families, new DlinearFamily());
    register(families, new ArFamily());
    register(families, new SMambaFamily());
    register(families, new TimeLlmFamily());
    register(families, new AutoTimesFamily());
    register(families, new SmeTimesFamily());
    FAMILIES = Collections.unmodifiableSortedMap(families);
  }

  private ModelRegistry() {}

  private static void register(SortedMap<String, ModelFamily> families, ModelFamily family) {
    if (families.put(family.name(), family) != null) {
      throw new IllegalStateException("model family registered twice: " + family.name());
    }
  }

  /** The registered names, sorted; unmodifiable. */
  public static Set<String> names() {
    return FAMILIES.keySet();
  }

  /**
   * Whether a family is registered.
   *
   * @param name the name; not null
   * @return true when {@link #family} would return it
   */
  public static boolean contains(String name) {
    return FAMILIES.containsKey(Objects.requireNonNull(name, "name"));
  }

  /**
   * The family of a name.
   *
   * @param name the name; not null
   * @return the family
   * @throws IllegalArgumentException for an unknown name, listing the known ones
   */
  public static ModelFamily family(String name) {
    ModelFamily family = FAMILIES.get(Objects.requireNonNull(name, "name"));
    if (family == null) {
      throw new IllegalArgumentException(
          "unknown model family '" + name + "'; trainable families: " + names());
    }
    return family;
  }
}
