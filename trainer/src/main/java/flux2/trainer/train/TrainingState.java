package flux2.trainer.train;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import flux2.tensor.io.AtomicFiles;
import flux2.trainer.data.SamplerState;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where a run is, as saved in {@code training_state.json}: the optimizer step, the data position, the seed and
 * the positions of the noise and sigma random streams, so that a resumed run continues exactly; and the
 * {@link CheckpointVerdict} on the checkpoint's numbers with the {@link CheckHistory} it was judged on (both null in
 * a checkpoint written before checkpoints were checked).
 */
public record TrainingState(long globalStep, long epoch, SamplerState sampler, long seed, long noiseRngCalls, long sigmaRngCalls,
                            long optimizerSteps, double lr, CheckpointVerdict verdict, CheckHistory history) {
    private static final ObjectMapper JSON = flux2.tensor.io.StrictJson.mapper();

    /** A state without a verdict. */
    public TrainingState(long globalStep, long epoch, SamplerState sampler, long seed, long noiseRngCalls, long sigmaRngCalls,
                         long optimizerSteps, double lr) {
        this(globalStep, epoch, sampler, seed, noiseRngCalls, sigmaRngCalls, optimizerSteps, lr, null, null);
    }

    /** This state with a verdict and the history it was judged on. */
    public TrainingState checked(CheckpointVerdict v, CheckHistory h) {
        return new TrainingState(globalStep, epoch, sampler, seed, noiseRngCalls, sigmaRngCalls, optimizerSteps, lr, v, h);
    }

    /** Writes the file atomically. */
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
        if (verdict != null)
            n.putObject("verdict").put("good", verdict.good()).put("reason", verdict.reason())
                    .put("max_abs_weight", verdict.maxAbsWeight()).put("recent_loss", verdict.recentLoss());
        if (history != null) {
            ObjectNode h = n.putObject("check_history");
            h.put("start_max_abs_weight", history.startMaxAbsWeight()).put("loss_ema", history.lossEma())
                    .put("best_loss_ema", history.bestLossEma()).put("steps", history.steps());
            ArrayNode recent = h.putArray("recent_losses");
            for (double l : history.recentLosses()) recent.add(l);
        }
        AtomicFiles.writeBytes(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(n));
    }

    /** Reads a training_state.json; errors name the file and what is wrong with it. */
    public static TrainingState read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new IOException(file + ": no such file (a checkpoint folder holds its training_state.json)");
        JsonNode n;
        try {
            n = JSON.readTree(file.toFile());
        } catch (JsonProcessingException e) {
            var at = e.getLocation();
            throw new IOException(file + ": not valid JSON (" + e.getOriginalMessage() + (at != null ? " at line " + at.getLineNr() + ", column "
                    + at.getColumnNr() : "") + "); the file is damaged, perhaps cut short by a crash or a full disk", e);
        }
        if (n == null || n.isMissingNode()) throw new IOException(file + ": expected a JSON object, found nothing (the file is empty)");
        if (!n.isObject()) throw new IOException(file + ": expected a JSON object, found " + n.getNodeType());
        long step = integer(file, n, "global_step");
        JsonNode sampler = object(file, n, "sampler"), rng = object(file, n, "rng");
        CheckpointVerdict verdict = null;
        if (n.has("verdict")) {
            JsonNode v = object(file, n, "verdict");
            if (!v.path("good").isBoolean()) throw new IOException(file + ": 'verdict.good' must be true or false");
            verdict = new CheckpointVerdict(v.get("good").asBoolean(), v.path("reason").asText(""), number(v.path("max_abs_weight")), number(v.path("recent_loss")));
        }
        CheckHistory history = null;
        if (n.has("check_history")) {
            JsonNode h = object(file, n, "check_history");
            JsonNode recent = h.path("recent_losses");
            double[] r = new double[recent.isArray() ? recent.size() : 0];
            for (int i = 0; i < r.length; i++) r[i] = number(recent.get(i));
            history = new CheckHistory(number(h.path("start_max_abs_weight")), number(h.path("loss_ema")), number(h.path("best_loss_ema")),
                    h.path("steps").asLong(), r);
        }
        return new TrainingState(step, n.path("epoch").asLong(),
                new SamplerState(integer(file, sampler, "epoch"), (int) integer(file, sampler, "next_batch")),
                integer(file, n, "seed"), integer(file, rng, "noise_calls"), integer(file, rng, "sigma_calls"),
                integer(file, n, "optimizer_steps"), n.path("lr").asDouble(), verdict, history);
    }

    private static long integer(Path file, JsonNode n, String key) throws IOException {
        JsonNode v = n.get(key);
        if (v == null) throw new IOException(file + ": lacks '" + key + "'");
        if (!v.isIntegralNumber() || !v.canConvertToLong()) throw new IOException(file + ": '" + key + "' must be a whole number, found " + v);
        return v.asLong();
    }

    private static JsonNode object(Path file, JsonNode n, String key) throws IOException {
        JsonNode v = n.get(key);
        if (v == null) throw new IOException(file + ": lacks '" + key + "'");
        if (!v.isObject()) throw new IOException(file + ": '" + key + "' must be a JSON object, found " + v);
        return v;
    }

    /** A number as written by {@link #write} (Jackson writes NaN and infinities as strings). */
    private static double number(JsonNode v) {
        if (v == null || v.isMissingNode() || v.isNull()) return Double.NaN;
        if (v.isNumber()) return v.asDouble();
        try {
            return Double.parseDouble(v.asText());
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
    }
}
