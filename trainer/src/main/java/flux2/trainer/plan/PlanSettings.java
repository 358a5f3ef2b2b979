package flux2.trainer.plan;

import flux2.model.flux2.Flux2Config;
import flux2.model.mistral.MistralConfig;
import java.util.Set;

/**
 * What a memory plan depends on: the model's sizes (from its config files), the run's precision, LoRA, batch,
 * resolution and checkpointing, and the device with the memory it has.
 *
 * @param textEncoder the Mistral config, or null where the model folder has none to plan for
 * @param adapted official names of the Linear layers with a LoRA (empty for full training)
 * @param imageTokens image tokens of the largest training sample (reference tokens included where known)
 * @param deviceMemory bytes the device may hold, or -1 when unknown
 */
public record PlanSettings(Flux2Config transformer, MistralConfig textEncoder, int promptTokens, int pixelsPerToken,
                           String basePrecision, String textPrecision, boolean full, int rank, Set<String> adapted,
                           long imageTokens, int batch, boolean checkpointing, String device, boolean deviceIsHost,
                           long deviceMemory) {
    public PlanSettings {
        adapted = Set.copyOf(adapted);
    }

    public PlanSettings withBasePrecision(String p) {
        return new PlanSettings(transformer, textEncoder, promptTokens, pixelsPerToken, p, textPrecision, full, rank, adapted, imageTokens,
                batch, checkpointing, device, deviceIsHost, deviceMemory);
    }

    public PlanSettings withCheckpointing(boolean on) {
        return new PlanSettings(transformer, textEncoder, promptTokens, pixelsPerToken, basePrecision, textPrecision, full, rank, adapted,
                imageTokens, batch, on, device, deviceIsHost, deviceMemory);
    }

    public PlanSettings withBatch(int b) {
        return new PlanSettings(transformer, textEncoder, promptTokens, pixelsPerToken, basePrecision, textPrecision, full, rank, adapted,
                imageTokens, b, checkpointing, device, deviceIsHost, deviceMemory);
    }

    public PlanSettings withImageTokens(long tokens) {
        return new PlanSettings(transformer, textEncoder, promptTokens, pixelsPerToken, basePrecision, textPrecision, full, rank, adapted,
                tokens, batch, checkpointing, device, deviceIsHost, deviceMemory);
    }

    public PlanSettings onDevice(String name, boolean isHost, long memory) {
        return new PlanSettings(transformer, textEncoder, promptTokens, pixelsPerToken, basePrecision, textPrecision, full, rank, adapted,
                imageTokens, batch, checkpointing, name, isHost, memory);
    }
}
