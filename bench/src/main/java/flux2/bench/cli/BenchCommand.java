package flux2.bench.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Parent of the kernel benchmarks; each benchmark is its own subcommand class printing one JSON line. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Time engine kernels on this machine; each subcommand prints one JSON line.",
        subcommands = {BenchMatmulCommand.class, BenchAttentionCommand.class, BenchFlux2Command.class, BenchMistralCommand.class, BenchQuantCommand.class, BenchVaeCommand.class,
                BenchAllReduceCommand.class})
public final class BenchCommand implements Runnable {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "bench needs a subcommand: "
                + String.join(", ", spec.subcommands().keySet()));
    }
}
