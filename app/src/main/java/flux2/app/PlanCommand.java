package flux2.app;

import flux2.tensor.Backend;
import flux2.tensor.ByteSize;
import flux2.tensor.DeviceSpec;
import flux2.trainer.config.TrainConfig;
import flux2.trainer.plan.MemoryPlan;
import flux2.trainer.plan.MemoryPlanner;
import flux2.trainer.plan.PlanReport;
import flux2.trainer.plan.PlanSettings;
import flux2.trainer.plan.PlanSources;
import flux2.trainer.train.MemoryCheck;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Unmatched;

/** Prints what a training run will hold on its device and on the host, from the config files alone. */
@Command(name = "plan", mixinStandardHelpOptions = true,
        description = "Print the memory plan of a config.json: base weights, LoRA and AdamW state, activations with and without "
                + "gradient checkpointing, the text encoder while caching, on the device and on the host; from the model folder's "
                + "config files alone (no weights are read). Exits 1 when the run does not fit, naming settings that would.")
public final class PlanCommand implements Callable<Integer> {
    @Mixin
    ConfigOptions options;

    @Option(names = "--device", paramLabel = "DEVICE",
            description = "The device to plan for: cpu, opencl:N or cuda:N (default: config.json's \"device\"); it need not be present with --memory.")
    String device;

    @Option(names = "--memory", paramLabel = "SIZE",
            description = "The device's memory, such as 80GB or 24GiB (default: the device's own, or the machine's for cpu).")
    String memory;

    @Option(names = "--json", description = "Print the plan as one JSON object.")
    boolean json;

    @Unmatched
    List<String> overrides = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        List<String> all = new ArrayList<>(overrides);
        if (device != null) all.addAll(List.of("--device", device));
        TrainConfig c = options.load(all);
        if (c == null) return 2;
        DeviceSpec spec = c.model().device();
        long bytes;
        try {
            bytes = memory != null ? ByteSize.parse(memory, "--memory") : -1;
        } catch (IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage());
            return 2;
        }
        if (bytes < 0) {
            if (spec.isCpu()) bytes = MemoryCheck.physicalMemory();
            else {
                Backend b;
                try {
                    b = spec.open();
                } catch (IllegalArgumentException e) {
                    System.err.println("error: " + e.getMessage() + "; to plan for a device that is not here, give its memory with --memory SIZE");
                    return 2;
                }
                bytes = PlanSources.memoryOf(b);
            }
        }
        PlanSettings s = PlanSources.of(c, spec.toString(), spec.isCpu(), bytes);
        MemoryPlan p = MemoryPlanner.plan(s);
        if (json) System.out.println(PlanReport.json(p));
        else System.out.print(PlanReport.table(p));
        return p.fits() ? 0 : 1;
    }
}
