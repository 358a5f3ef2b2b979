package flux2.trainer.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import flux2.trainer.data.SamplerState;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where a run is, as saved in {@code training_state.json}: the optimizer step, the data position, the seed and
 * the positions of the noise and sigma random streams, so that a resumed run continues exactly.
 */
public record TrainingState(long globalStep, long epoch, SamplerState sampler, long seed, long noiseRngCalls, long sigmaRngCalls,
                            long optimizerSteps, double lr) {
    private static final ObjectMapper JSON = flux2.tensor.io.StrictJson.mapper();

    public void write(Path file) throws IOException {
        ObjectNode n = JSON.createObjectNode();
        n.put("global_step", globalStep);
        n.put("epoch", epoch);
        n.put("epoch_step", sampler.nextBatch());
        n.putObject("sampler").put("epoch", sampler.epoch()).put("next_batch", sampler.nextBatch());
        n.put("seed", seed);
        n.putObject("rng").put("noise_calls", noiseRngCalls).put("sigma_calls", sigmaRngCalls);
        n.put("optimizer_steps", optimizerSteps);
        n.put("lr", lr);
        JSON.writerWithDefaultPrettyPrinter().writeValue(file.toFile(), n);
    }

    public static TrainingState read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new IOException("no training_state.json at " + file);
        JsonNode n = JSON.readTree(file.toFile());
        for (String k : new String[]{"global_step", "sampler", "seed", "rng", "optimizer_steps"})
            if (!n.has(k)) throw new IOException(file + " lacks '" + k + "'");
        return new TrainingState(n.get("global_step").asLong(), n.path("epoch").asLong(),
                new SamplerState(n.get("sampler").path("epoch").asLong(), n.get("sampler").path("next_batch").asInt()),
                n.get("seed").asLong(), n.get("rng").path("noise_calls").asLong(), n.get("rng").path("sigma_calls").asLong(),
                n.get("optimizer_steps").asLong(), n.path("lr").asDouble());
    }
}
