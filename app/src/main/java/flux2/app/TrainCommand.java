package flux2.app;

import flux2.dist.launch.JavaCommand;
import flux2.dist.launch.LocalRanks;
import flux2.tensor.collective.RankEnv;
import flux2.trainer.config.TrainConfig;
import flux2.trainer.train.DataParallel;
import flux2.trainer.train.Trainer;
import flux2.trainer.train.TrainingStopped;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Unmatched;

/**
 * Trains a FLUX.2 LoRA from a SimpleTuner configuration: in this process, as one rank of a job that mpirun or
 * torchrun started, or as the starter of num_processes local ranks.
 */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Train a FLUX.2 LoRA with a SimpleTuner config.json (default config/config.json). "
                + "Any further --key value pairs override config.json keys.")
public final class TrainCommand implements Callable<Integer> {
    @Mixin
    ConfigOptions options;

    @Option(names = "--device", paramLabel = "DEVICE",
            description = "Where the model runs: cpu, opencl:N or cuda:N (overrides config.json's \"device\"; `doctor` lists them).")
    String device;

    @Option(names = "--num_processes", paramLabel = "N",
            description = "Data-parallel ranks on this machine (overrides config.json's \"num_processes\"): cuda:0 .. cuda:N-1 for a CUDA "
                    + "device, else N ranks started with mpirun; each trains train_batch_size samples of every global batch.")
    Integer numProcesses;

    @Unmatched
    List<String> overrides = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        List<String> all = new ArrayList<>(overrides);
        if (device != null) all.addAll(List.of("--device", device));
        if (numProcesses != null) all.addAll(List.of("--num_processes", numProcesses.toString()));
        RankEnv env = RankEnv.detect();
        TrainConfig c = options.load(all, false);
        if (c == null) return 2;
        int n = c.training().batches().processes();
        boolean starter = !env.distributed() && n > 1;
        // the config's warnings once: by rank 0 (the ranks that a starter starts load it again)
        if (!starter && env.rank() == 0) ConfigOptions.warn(c);
        if (starter) {
            List<String> args = new ArrayList<>(List.of("train"));
            args.addAll(options.arguments());
            args.addAll(all);
            return LocalRanks.run(n, c.model().device().backend().equals("cuda"), JavaCommand.current(Main.class.getName(), args), System.out, System.err);
        }
        DataParallel dp = DataParallel.join(c, env, System.out);
        try {
            Trainer.Result r = new Trainer(c, System.out).parallel(dp).run();
            if (dp.isRankZero() && r.loraFile() != null)
                System.out.println("done: " + r.steps() + " steps; " + (c.model().full() ? "transformer" : "LoRA") + " at " + r.loraFile());
            dp.close();
            return 0;
        } catch (TrainingStopped e) {
            // every rank stops at the same step with the same message: rank 0 says it
            if (dp.isRankZero()) System.err.println("error: " + e.getMessage());
            dp.close();
            return 3;
        } catch (Exception | Error e) {
            if (dp.distributed()) {
                String message = e.getMessage() != null ? e.getMessage() : e.toString();
                System.err.println("error: rank " + dp.rank() + ": " + message);
                System.err.flush();
                dp.abort(message);
            }
            throw e;
        }
    }
}
