package dev.sibyl.app.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sibyl.models.api.ForecasterOptions;
import dev.sibyl.schemas.serde.SerdeConfig;
import dev.sibyl.streams.PipelineConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** docs/configuration.md is generated; it must match the code and document every key. */
class ConfigDocsTest {

  private static final Path DOC = Path.of("..", "docs", "configuration.md");

  @Test
  void theCommittedPageIsTheGeneratedOne() throws IOException {
    assertThat(Files.readString(DOC))
        .as("docs/configuration.md is stale: regenerate it with ./sibyl config --markdown > docs/configuration.md")
        .isEqualTo(ConfigDocs.markdown());
  }

  @Test
  void everyKeyOfEveryComponentIsDocumented() {
    String page = ConfigDocs.markdown();
    for (String key : AppConfig.configDef().names()) {
      assertThat(page).contains("`" + key + "`");
    }
    for (String key : PipelineConfig.configDef().names()) {
      assertThat(page).contains("`" + key + "`");
    }
    for (String key : SerdeConfig.configDef().names()) {
      assertThat(page).contains("`" + key + "`");
    }
    for (String key : ForecasterOptions.keys()) {
      assertThat(page).contains(key + " (");
    }
    assertThat(page).contains("artifact (").contains("ar.order (");
  }
}
