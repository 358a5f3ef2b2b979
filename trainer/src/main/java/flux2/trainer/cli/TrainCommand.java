package flux2.trainer.cli;

import flux2.trainer.config.ConfigException;
import flux2.trainer.config.ConfigLoader;
import flux2.trainer.config.ConfigProblem;
import flux2.trainer.config.TrainConfig;
import flux2.trainer.train.Trainer;
import flux2.trainer.train.TrainingStopped;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Unmatched;

/** Trains a FLUX.2 LoRA from a SimpleTuner configuration. */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Train a FLUX.2 LoRA with a SimpleTuner config.json (default config/config.json). "
                + "Any further --key value pairs override config.json keys.")
public final class TrainCommand implements Callable<Integer> {
    @Option(names = "--config", paramLabel = "FILE", description = "The config.json to read.")
    Path config;

    @Option(names = "--env", paramLabel = "NAME", description = "Read config/NAME/config.json.")
    String env;

    @Unmatched
    List<String> overrides = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        TrainConfig c = load(config, env, overrides);
        if (c == null) return 2;
        try {
            Trainer.Result r = new Trainer(c, System.out).run();
            System.out.println("done: " + r.steps() + " steps; LoRA at " + r.loraFile());
            return 0;
        } catch (TrainingStopped e) {
            System.err.println("error: " + e.getMessage());
            return 3;
        }
    }

    /** Loads and validates a config, printing its warnings; prints the problems and returns null when it is invalid. */
    static TrainConfig load(Path config, String env, List<String> overrides) {
        ConfigLoader loader = ConfigLoader.standard();
        Path file = loader.locate(config, env);
        try {
            TrainConfig c = loader.load(file, overrides);
            for (ConfigProblem w : c.warnings()) System.err.println("warning: " + w);
            return c;
        } catch (ConfigException e) {
            System.err.println("error: " + e.getMessage());
            return null;
        }
    }
}
