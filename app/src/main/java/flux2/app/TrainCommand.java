package flux2.app;

import flux2.trainer.config.TrainConfig;
import flux2.trainer.train.Trainer;
import flux2.trainer.train.TrainingStopped;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Unmatched;

/** Trains a FLUX.2 LoRA from a SimpleTuner configuration. */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Train a FLUX.2 LoRA with a SimpleTuner config.json (default config/config.json). "
                + "Any further --key value pairs override config.json keys.")
public final class TrainCommand implements Callable<Integer> {
    @Mixin
    ConfigOptions options;

    @Option(names = "--device", paramLabel = "DEVICE",
            description = "Where the model runs: cpu, opencl:N or cuda:N (overrides config.json's \"device\"; `doctor` lists them).")
    String device;

    @Unmatched
    List<String> overrides = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        List<String> all = new ArrayList<>(overrides);
        if (device != null) all.addAll(List.of("--device", device));
        TrainConfig c = options.load(all);
        if (c == null) return 2;
        try {
            Trainer.Result r = new Trainer(c, System.out).run();
            if (r.loraFile() != null)
                System.out.println("done: " + r.steps() + " steps; " + (c.model().full() ? "transformer" : "LoRA") + " at " + r.loraFile());
            return 0;
        } catch (TrainingStopped e) {
            System.err.println("error: " + e.getMessage());
            return 3;
        }
    }

    /** Loads and validates a config, printing its warnings; prints the problems and returns null when it is invalid. */
}
