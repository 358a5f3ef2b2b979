package flux2.trainer.train;

import flux2.autograd.nn.Parameter;
import flux2.autograd.optim.AdamW;
import flux2.model.flux2.lora.Lora;
import flux2.model.flux2.lora.LoraFiles;
import flux2.model.flux2.lora.LoraWriter;
import flux2.tensor.Tensor;
import flux2.tensor.io.Checkpoints;
import flux2.tensor.io.SafetensorsWriter;
import flux2.tensor.io.TensorSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Checkpoints in {@code <output_dir>/checkpoint-<step>/}: the file users load (the LoRA file, or for full training
 * the BF16 transformer folder), the exact trained parameters and AdamW moments (F32), and training_state.json. Each is written in a hidden temporary folder that is renamed into
 * place when complete, so a run killed while saving leaves the previous checkpoints intact. Only the newest
 * {@code totalLimit} are kept.
 */
public final class CheckpointStore {
    static final String PARAMS = "lora_parameters.safetensors", FULL_PARAMS = "transformer_parameters.safetensors",
            OPTIMIZER = "optimizer.safetensors", STATE = "training_state.json";

    /** Writes what users load from a checkpoint into its (temporary) folder. */
    @FunctionalInterface
    public interface Export {
        void write(Path checkpointDir) throws IOException;
    }
    private final Path outputDir;
    private final int totalLimit;

    public CheckpointStore(Path outputDir, int totalLimit) {
        this.outputDir = outputDir;
        this.totalLimit = totalLimit;
    }

    /** Writes checkpoint-{@code step} and prunes older ones beyond the limit; returns its folder. */
    public Path save(TrainingState state, Lora lora, LoraWriter.Options loraOptions, AdamW optimizer) throws IOException {
        return save(state, lora.namedParameters(), PARAMS, d -> LoraFiles.save(d.resolve(LoraFiles.FILE_NAME), lora, loraOptions), optimizer);
    }

    /**
     * Writes checkpoint-{@code step} of trained {@code parameters} (stored exactly in {@code paramsFile}), with the
     * files {@code export} adds, and prunes older checkpoints beyond the limit; returns its folder.
     */
    public Path save(TrainingState state, Map<String, Parameter> parameters, String paramsFile, Export export, AdamW optimizer) throws IOException {
        long step = state.globalStep();
        Path dir = outputDir.resolve("checkpoint-" + step);
        Path tmp = outputDir.resolve(".checkpoint-" + step + ".tmp");
        deleteTree(tmp);
        Files.createDirectories(tmp);
        export.write(tmp);
        Map<String, Tensor> params = new LinkedHashMap<>();
        parameters.forEach((k, p) -> params.put(k, p.value()));
        SafetensorsWriter.write(tmp.resolve(paramsFile), params);
        SafetensorsWriter.write(tmp.resolve(OPTIMIZER), optimizer.exportState(), Map.of("steps", Long.toString(optimizer.stepCount())));
        state.write(tmp.resolve(STATE));
        deleteTree(dir);
        Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
        List<Path> all = list();
        for (int i = 0; i < all.size() - totalLimit; i++) deleteTree(all.get(i));
        return dir;
    }

    /** Complete checkpoints, oldest first. */
    public List<Path> list() throws IOException {
        if (!Files.isDirectory(outputDir)) return List.of();
        try (Stream<Path> s = Files.list(outputDir)) {
            return s.filter(p -> p.getFileName().toString().matches("checkpoint-\\d+") && Files.isRegularFile(p.resolve(STATE)))
                    .sorted(Comparator.comparingLong(CheckpointStore::stepOf)).toList();
        }
    }

    /**
     * The checkpoint named by resume_from_checkpoint: "latest" is the newest one (null when there is none),
     * another value a checkpoint folder (relative to the output folder or absolute), which must exist; "" or
     * "none" resume nothing.
     */
    public Path find(String resumeFrom) throws IOException {
        if (resumeFrom == null || resumeFrom.isBlank() || resumeFrom.equalsIgnoreCase("none")) return null;
        if (resumeFrom.equals("latest")) {
            List<Path> all = list();
            return all.isEmpty() ? null : all.getLast();
        }
        Path p = outputDir.resolve(resumeFrom);
        if (!Files.isRegularFile(p.resolve(STATE)))
            throw new IOException("resume_from_checkpoint: " + p + " is not a checkpoint folder (no " + STATE + ")");
        return p;
    }

    /** Copies the checkpoint's LoRA parameters and optimizer moments into a run and returns its state. */
    public static TrainingState restore(Path dir, Lora lora, AdamW optimizer) throws IOException {
        return restore(dir, lora.namedParameters(), PARAMS, optimizer);
    }

    /** Copies the checkpoint's parameters (from {@code paramsFile}) and optimizer moments into a run; returns its state. */
    public static TrainingState restore(Path dir, Map<String, Parameter> params, String paramsFile, AdamW optimizer) throws IOException {
        TrainingState st = TrainingState.read(dir.resolve(STATE));
        if (!Files.isRegularFile(dir.resolve(paramsFile)))
            throw new IOException("checkpoint " + dir + " has no " + paramsFile + " (was it written by a "
                    + (paramsFile.equals(PARAMS) ? "model_type \"full\"" : "LoRA") + " run?)");
        try (TensorSource src = Checkpoints.open(dir.resolve(paramsFile))) {
            List<String> missing = params.keySet().stream().filter(k -> !src.contains(k)).toList();
            List<String> extra = src.names().stream().filter(k -> !params.containsKey(k)).toList();
            if (!missing.isEmpty() || !extra.isEmpty())
                throw new IOException("checkpoint " + dir + " does not match the trained parameters (other LoRA targets or rank, or another model?): missing "
                        + missing + ", unexpected " + extra);
            for (var e : params.entrySet()) {
                Tensor t = src.tensor(e.getKey());
                if (!java.util.Arrays.equals(t.shape(), e.getValue().shape()))
                    throw new IOException("checkpoint " + dir + ": '" + e.getKey() + "' has shape " + java.util.Arrays.toString(t.shape())
                            + ", the run has " + java.util.Arrays.toString(e.getValue().shape()));
                e.getValue().value().copyFrom(t);
            }
        }
        try (TensorSource src = Checkpoints.open(dir.resolve(OPTIMIZER))) {
            Map<String, Tensor> state = new LinkedHashMap<>();
            for (String n : src.names()) state.put(n, src.tensor(n));
            optimizer.importState(state, st.optimizerSteps());
        }
        return st;
    }

    static long stepOf(Path p) {
        return Long.parseLong(p.getFileName().toString().substring("checkpoint-".length()));
    }

    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) return;
        try (Stream<Path> s = Files.walk(p)) {
            for (Path f : s.sorted(Comparator.reverseOrder()).toList()) Files.delete(f);
        }
    }
}
