package flux2.trainer.plan;

import flux2.model.flux2.Flux2Config;
import flux2.model.flux2.Flux2Linears;
import flux2.model.flux2.lora.LoraTargets;
import flux2.model.mistral.MistralConfig;
import flux2.model.vae.VaeConfig;
import flux2.tensor.Backend;
import flux2.trainer.config.DatasetConfig;
import flux2.trainer.config.ModelLocation;
import flux2.trainer.config.TrainConfig;
import flux2.trainer.data.TrainingData;
import flux2.trainer.train.MemoryCheck;
import flux2.trainer.models.ModelParts;
import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import java.util.Set;

/** The {@link PlanSettings} of a training config, from the model folder's config files alone (no weights are opened). */
public final class PlanSources {
    private PlanSources() {}

    /**
     * The settings of {@code c} with samples of {@code imageTokens} image tokens in batches of {@code batch}, on a device
     * named {@code device} that may hold {@code deviceMemory} bytes (-1: unknown).
     */
    public static PlanSettings of(TrainConfig c, long imageTokens, int batch, String device, boolean deviceIsHost, long deviceMemory)
            throws IOException {
        ModelLocation loc = c.model().location();
        Flux2Config fc = ModelParts.transformerConfig(loc.transformer());
        MistralConfig text = Files.isRegularFile(loc.textEncoder().resolve("config.json")) ? ModelParts.textConfig(loc) : null;
        int ppt = VaeConfig.forCheckpoint(loc.vae()).pixelsPerLatent();
        boolean full = c.model().full();
        Set<String> adapted = Set.of();
        if (!full) {
            List<String> targets = c.lora().targetModules() != null ? c.lora().targetModules() : c.lora().targetPreset().targets();
            adapted = Set.copyOf(LoraTargets.resolve(Flux2Linears.of(fc).keySet(), targets));
        }
        return new PlanSettings(fc, text, ModelParts.promptLength(loc), ppt, c.model().baseModelPrecision().configName(), c.model().textEncoderPrecision().configName(),
                full, full ? 0 : c.lora().rank(), adapted, imageTokens, batch, c.training().gradientCheckpointing(), device, deviceIsHost, deviceMemory);
    }

    /**
     * The settings of {@code c} on its scanned {@code data} (the largest sample, references included, in batches no
     * larger than the data allow) on the opened {@code device}.
     */
    public static PlanSettings of(TrainConfig c, TrainingData data, Backend device) throws IOException {
        MemoryCheck.ModelShape m = MemoryCheck.ModelShape.of(c.model().location());
        long samples = data.datasets().stream().mapToLong(d -> (long) d.entries().size() * (d.config().repeats() + 1)).sum();
        int batch = (int) Math.max(1, Math.min(c.training().batches().size(), samples));
        return of(c, MemoryCheck.imageTokens(c, data, m), batch, device.name(), device.isHost(), memoryOf(device));
    }

    /** The settings of {@code c} at its datasets' largest resolution (square) and its batch size. */
    public static PlanSettings of(TrainConfig c, String device, boolean deviceIsHost, long deviceMemory) throws IOException {
        int ppt = VaeConfig.forCheckpoint(c.model().location().vae()).pixelsPerLatent();
        return of(c, imageTokens(c, ppt), c.training().batches().size(), device, deviceIsHost, deviceMemory);
    }

    /**
     * Image tokens of a square sample at the largest resolution of the config's image datasets: the edge is
     * {@code resolution} pixels (pixel, pixel_area) or the square root of {@code resolution} megapixels, SimpleTuner's
     * 1.0 being 1024 x 1024 (area); reference images are not counted.
     */
    public static long imageTokens(TrainConfig c, int pixelsPerToken) {
        long most = 0;
        for (DatasetConfig d : c.datasets()) {
            if (d.datasetType() != DatasetConfig.DatasetType.IMAGE) continue;
            double edge = d.resolutionType() == DatasetConfig.ResolutionType.AREA ? Math.sqrt(d.resolution()) * 1024 : d.resolution();
            long side = (long) edge / pixelsPerToken;
            most = Math.max(most, side * side);
        }
        return most;
    }

    /** The device's memory as a plan uses it: the device's (or its cap) for a GPU, the machine's for the CPU. */
    public static long memoryOf(Backend b) {
        long m = b.deviceMemoryBytes();
        return m > 0 ? m : MemoryCheck.physicalMemory();
    }
}
