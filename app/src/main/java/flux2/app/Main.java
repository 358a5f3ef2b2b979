package flux2.app;

import flux2.bench.cli.BenchCommand;
import flux2.app.CacheCommand;
import flux2.app.ConvertLoraCommand;
import flux2.app.DoctorCommand;
import flux2.examples.cli.ExampleCommand;
import flux2.app.InspectCommand;
import flux2.app.SampleCommand;
import flux2.app.ServerCommand;
import flux2.app.TrainCommand;
import flux2.app.VersionProvider;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The flux2-trainer command line. */
@Command(name = "flux2-trainer", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = "LoRA trainer for FLUX.2 on a Java tensor engine.",
        subcommands = {TrainCommand.class, CacheCommand.class, PlanCommand.class, SampleCommand.class, DoctorCommand.class, InspectCommand.class, BenchCommand.class, ConvertLoraCommand.class, ExampleCommand.class, ServerCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static void main(String[] args) {
        // relaunched by the jar's launcher: end with it, so that a rank killed by mpirun leaves no JVM behind
        if (System.getenv("FLUX2_RELAUNCHED") != null)
            ProcessHandle.current().parent().ifPresent(p -> p.onExit().thenRun(() -> Runtime.getRuntime().halt(143)));
        System.exit(run(args));
    }

    /** Runs the command line and returns its exit code (for tests). */
    public static int run(String... args) {
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            cmd.getErr().println("error: " + (ex.getMessage() != null ? ex.getMessage() : ex.toString()));
            if (System.getenv("FLUX2_DEBUG") != null) ex.printStackTrace(cmd.getErr());
            return 1;
        });
        return cl.execute(args);
    }
}
