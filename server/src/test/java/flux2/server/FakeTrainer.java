package flux2.server;

import flux2.trainer.config.ConfigLoader;
import flux2.trainer.config.TrainConfig;
import flux2.trainer.events.EventLog;
import flux2.trainer.events.Phase;
import flux2.trainer.events.TrainingEvents;
import flux2.trainer.train.StopRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * A stand-in for the trainer's child process in the server's own tests (the real one runs in the tests module): it
 * reads the config as the trainer does and reports through the trainer's {@link EventLog} and {@link StopRequest},
 * but a step is a sleep. Its first argument says how it behaves: {@code run} (10 steps a second, stops on request
 * with a checkpoint), {@code crash:K} (exits with code 7 at step K), {@code hang} (ignores stop requests).
 */
public final class FakeTrainer {
    public static void main(String[] args) throws Exception {
        String mode = args[0];
        List<String> rest = Arrays.asList(args).subList(1, args.length);
        if (!rest.getFirst().equals("train") || !rest.get(1).equals("--config")) throw new IllegalArgumentException("expected train --config FILE: " + rest);
        TrainConfig c = new ConfigLoader(Path.of(""), System.getenv()).load(Path.of(rest.get(2)), rest.subList(3, rest.size()));
        Path out = Files.createDirectories(c.outputDir());
        StopRequest stop = StopRequest.in(out);
        long total = c.training().maxTrainSteps();
        try (EventLog events = EventLog.open(out, System.out::println)) {
            events.phase(Phase.CACHING_TEXT);
            events.phase(Phase.CACHING_LATENTS);
            events.phase(Phase.TRAINING);
            for (long step = 1; step <= total; step++) {
                Thread.sleep(100);
                System.out.println("fake step " + step);
                if (mode.equals("crash:" + step)) {
                    System.out.println("fake trainer crashes at step " + step);
                    System.exit(7);
                }
                events.progress(step, total, 1.0 / step, 1e-3, 0.5, 0.1);
                if (stop.requested() && !mode.equals("hang") && step < total) {
                    Path cp = Files.createDirectories(out.resolve("checkpoint-" + step));
                    Files.writeString(cp.resolve("training_state.json"), "{\"global_step\": " + step + "}\n");
                    events.checkpoint(step, cp, false);
                    stop.clear();
                    events.finished(TrainingEvents.Outcome.STOPPED, step, null, null);
                    return;
                }
            }
            Path lora = out.resolve("pytorch_lora_weights.safetensors");
            Files.writeString(lora, "fake lora");
            events.finished(TrainingEvents.Outcome.COMPLETED, total, lora, null);
        }
    }
}
