package dev.sibyl.app.cli;

import dev.sibyl.models.eval.Protocol;
import dev.sibyl.models.eval.Table;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;

/**
 * The {@code --protocol} option of the commands that split a table (train, evaluate, the interval
 * evaluation, the predict benchmark): an unknown name, or a table too short for the protocol at
 * that lookback, is a usage error with the protocol's own one-line message.
 */
final class ProtocolOption {

  private ProtocolOption() {}

  /**
   * Resolves the protocol on the table.
   *
   * @param commandLine the command, for the usage error
   * @param name the option's value
   * @param table the data
   * @param lookback the model's lookback (or the window the command needs)
   * @return the protocol
   * @throws ParameterException when {@link Protocol#of} refuses the name or the table
   */
  static Protocol resolve(CommandLine commandLine, String name, Table table, int lookback) {
    try {
      return Protocol.of(name, table, lookback);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(commandLine, e.getMessage());
    }
  }
}
