package flux2.app;

import flux2.trainer.config.ConfigException;
import flux2.trainer.config.ConfigLoader;
import flux2.trainer.config.ConfigProblem;
import flux2.trainer.config.TrainConfig;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * The options that pick a SimpleTuner config, --config and --env; the command itself collects the trailing
 * --key value overrides (picocli takes unmatched arguments only on the command, not in a mixin).
 */
public final class ConfigOptions {
    @Option(names = "--config", paramLabel = "FILE", description = "The config.json to read (default config/config.json).")
    Path config;

    @Option(names = "--env", paramLabel = "NAME", description = "Read config/NAME/config.json.")
    String env;

    /** Prints the config's warnings to stderr. */
    static void warn(TrainConfig c) {
        for (ConfigProblem w : c.warnings()) System.err.println("warning: " + w);
    }

    /** The command-line arguments that select this config, for a process that loads it again. */
    List<String> arguments() {
        List<String> a = new java.util.ArrayList<>();
        if (config != null) a.addAll(List.of("--config", config.toString()));
        if (env != null) a.addAll(List.of("--env", env));
        return a;
    }

    /** The validated config, or null after printing every problem to stderr; warnings go to stderr too. */
    TrainConfig load(List<String> overrides) {
        return load(overrides, true);
    }

    /** As {@link #load(List)}; {@code warn} false keeps the warnings for {@link #warn} (a job's rank 0 prints them, once). */
    TrainConfig load(List<String> overrides, boolean warn) {
        ConfigLoader loader = ConfigLoader.standard();
        Path file = loader.locate(config, env);
        try {
            TrainConfig c = loader.load(file, overrides);
            if (warn) warn(c);
            return c;
        } catch (ConfigException e) {
            System.err.println("error: " + e.getMessage());
            return null;
        }
    }
}
