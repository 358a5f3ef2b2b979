package flux2.examples.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Writes ready-to-train example projects. */
@Command(name = "example", mixinStandardHelpOptions = true, description = "Write an example project.",
        subcommands = {ExampleTinyCommand.class, ExampleTinyEditCommand.class, ExamplePretrainCommand.class, ExampleEvaluateCommand.class})
public final class ExampleCommand implements Runnable {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
