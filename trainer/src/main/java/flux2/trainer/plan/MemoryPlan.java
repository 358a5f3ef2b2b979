package flux2.trainer.plan;

import java.util.List;

/**
 * What a training run will hold, on its device and on the host, phase by phase: the text encoder while the caches
 * are built, then the transformer, its LoRA (or every weight), the optimizer state and one step's activations.
 *
 * @param device the items held on the training device (host memory when it is the CPU)
 * @param host the items held in host memory besides, on a GPU run
 * @param fixes settings that would make the run fit, when it does not (empty when it fits or nothing found fits)
 */
public record MemoryPlan(PlanSettings settings, List<Item> device, List<Item> host, List<String> fixes) {
    /** When an item is held: while the caches are built (before the transformer loads) or while training. */
    public enum Phase { CACHING, TRAINING }

    /**
     * One thing held: its bytes, its phase, and whether it counts towards the total (an alternative shown for
     * comparison, such as the activations with the other checkpointing setting, does not).
     */
    public record Item(String what, long bytes, Phase phase, boolean counted, String note) {}

    public MemoryPlan {
        device = List.copyOf(device);
        host = List.copyOf(host);
        fixes = List.copyOf(fixes);
    }

    /** The most the device holds at once: the larger phase. */
    public long deviceTotal() { return peak(device); }

    /** The most the host holds at once besides the device's share (0 on a CPU run, whose device is the host). */
    public long hostTotal() { return peak(host); }

    private static long peak(List<Item> items) {
        long caching = 0, training = 0;
        for (Item i : items) {
            if (!i.counted()) continue;
            if (i.phase() == Phase.CACHING) caching += i.bytes();
            else training += i.bytes();
        }
        return Math.max(caching, training);
    }

    /** Whether the device total is within the device's memory (true when that is unknown). */
    public boolean fits() {
        return settings.deviceMemory() <= 0 || deviceTotal() <= settings.deviceMemory();
    }
}
