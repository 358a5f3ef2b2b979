package flux2.trainer.train;

import flux2.autograd.nn.Parameter;
import flux2.autograd.optim.AdamW;
import flux2.model.flux2.lora.Lora;
import flux2.model.flux2.lora.LoraFiles;
import flux2.model.flux2.lora.LoraWriter;
import flux2.tensor.Tensor;
import flux2.tensor.io.AtomicFiles;
import flux2.tensor.io.Checkpoints;
import flux2.tensor.io.SafetensorsWriter;
import flux2.tensor.io.TensorSource;
import flux2.trainer.folders.Leftovers;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Checkpoints in {@code <output_dir>/checkpoint-<step>/}: the file users load (the LoRA file, or for full training
 * the BF16 transformer folder), the exact trained parameters and AdamW moments (F32), and training_state.json with
 * the {@link CheckpointVerdict} on its numbers. Each is written in a hidden temporary folder that is renamed into
 * place when complete, so a run killed while saving leaves the previous checkpoints intact; a checkpoint is deleted
 * by renaming it to a hidden name first, so none is ever seen half-deleted. Only the newest {@code totalLimit} are
 * kept, and the newest good one besides.
 */
public final class CheckpointStore {
    static final String PARAMS = "lora_parameters.safetensors", FULL_PARAMS = "transformer_parameters.safetensors",
            OPTIMIZER = "optimizer.safetensors", STATE = "training_state.json";
    private static final String PREFIX = "checkpoint-";
    private static final Pattern NAME = Pattern.compile("checkpoint-\\d+");
    /** What a checkpoint folder holds; a folder with nothing else and no training_state.json is the remains of a delete. */
    private static final Set<String> CHECKPOINT_FILES = Set.of(PARAMS, FULL_PARAMS, OPTIMIZER, STATE, LoraFiles.FILE_NAME, Trainer.TRANSFORMER_DIR);

    /** Writes what users load from a checkpoint into its (temporary) folder. */
    @FunctionalInterface
    public interface Export {
        void write(Path checkpointDir) throws IOException;
    }
    private final Path outputDir;
    private final int totalLimit;
    private final Consumer<String> warn;
    private final Set<String> warned = new HashSet<>();

    public CheckpointStore(Path outputDir, int totalLimit) {
        this(outputDir, totalLimit, w -> {});
    }

    /** A store whose warnings (folders it ignores or skips) go to {@code warn}. */
    public CheckpointStore(Path outputDir, int totalLimit, Consumer<String> warn) {
        this.outputDir = outputDir;
        this.totalLimit = totalLimit;
        this.warn = warn;
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
        Path dir = outputDir.resolve(PREFIX + step);
        Path tmp = outputDir.resolve(".checkpoint-" + step + ".tmp");
        Leftovers.discard(tmp);
        Files.createDirectories(tmp);
        export.write(tmp);
        Map<String, Tensor> params = new LinkedHashMap<>();
        parameters.forEach((k, p) -> params.put(k, p.value()));
        SafetensorsWriter.write(tmp.resolve(paramsFile), params);
        SafetensorsWriter.write(tmp.resolve(OPTIMIZER), optimizer.exportState(), Map.of("steps", Long.toString(optimizer.stepCount())));
        state.write(tmp.resolve(STATE));
        Leftovers.discard(dir);
        AtomicFiles.move(tmp, dir);
        prune(paramsFile);
        return dir;
    }

    /** Removes the oldest checkpoints beyond the limit, never the newest good one. */
    private void prune(String paramsFile) throws IOException {
        List<Path> all = list();
        Path keep = newestUsable(paramsFile);
        for (int i = 0; i < all.size() - totalLimit; i++) if (!all.get(i).equals(keep)) Leftovers.discard(all.get(i));
    }

    /** Complete checkpoints (those with a training_state.json), oldest first. */
    public List<Path> list() throws IOException {
        if (!Files.isDirectory(outputDir)) return List.of();
        List<Path> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(outputDir)) {
            for (Path p : s.toList()) {
                String n = p.getFileName().toString();
                if (!NAME.matcher(n).matches() || !Files.isRegularFile(p.resolve(STATE))) continue;
                if (stepOf(p) < 0) {
                    if (warned.add(n)) warn.accept("warning: ignoring " + p + ": its step number does not fit a 64-bit integer");
                    continue;
                }
                out.add(p);
            }
        }
        out.sort(Comparator.comparingLong(CheckpointStore::stepOf));
        return out;
    }

    /**
     * The checkpoint named by resume_from_checkpoint: "latest" is the newest one that is intact and was judged good
     * (null when there is none; each newer one skipped is named in a warning with the reason), another value a
     * checkpoint folder (relative to the output folder or absolute), which must be intact; "" or "none" resume
     * nothing. {@code paramsFile} is the parameters file the run needs.
     */
    public Path find(String resumeFrom, String paramsFile) throws IOException {
        if (resumeFrom == null || resumeFrom.isBlank() || resumeFrom.equalsIgnoreCase("none")) return null;
        if (resumeFrom.equals("latest")) {
            List<Path> all = list();
            for (int i = all.size() - 1; i >= 0; i--) {
                Path p = all.get(i);
                String damage = damage(p, paramsFile);
                if (damage != null) {
                    warn.accept("warning: skipping " + p + ": " + damage);
                    continue;
                }
                CheckpointVerdict v = TrainingState.read(p.resolve(STATE)).verdict();
                if (!CheckpointVerdict.isGood(v)) {
                    warn.accept("warning: skipping " + p + ": its numbers failed the check when it was saved (" + v.reason() + ")");
                    continue;
                }
                return p;
            }
            return null;
        }
        Path p = outputDir.resolve(resumeFrom);
        if (!Files.isRegularFile(p.resolve(STATE)))
            throw new IOException("resume_from_checkpoint: " + p + " is not a checkpoint folder (no " + STATE + ")");
        String damage = damage(p, paramsFile);
        if (damage != null) throw new IOException("resume_from_checkpoint: cannot resume from " + p + ": " + damage);
        CheckpointVerdict v = TrainingState.read(p.resolve(STATE)).verdict();
        if (!CheckpointVerdict.isGood(v))
            warn.accept("warning: resuming from " + p + " as resume_from_checkpoint asks, although its numbers failed the check when it was saved ("
                    + v.reason() + ")");
        return p;
    }

    /** As {@link #find(String, String)} for a LoRA run. */
    public Path find(String resumeFrom) throws IOException {
        return find(resumeFrom, PARAMS);
    }

    /** The checkpoint "latest" resumes from: the newest that is intact and was judged good; null when there is none. */
    public Path newestUsable(String paramsFile) throws IOException {
        List<Path> all = list();
        for (int i = all.size() - 1; i >= 0; i--) {
            Path p = all.get(i);
            if (damage(p, paramsFile) == null && CheckpointVerdict.isGood(TrainingState.read(p.resolve(STATE)).verdict())) return p;
        }
        return null;
    }

    /**
     * What makes a checkpoint unusable, or null when it is intact: its training_state.json unreadable, or its
     * parameters or optimizer file missing or not a complete safetensors file.
     */
    static String damage(Path dir, String paramsFile) {
        try {
            TrainingState.read(dir.resolve(STATE));
        } catch (IOException e) {
            return e.getMessage();
        }
        for (String f : List.of(paramsFile, OPTIMIZER)) {
            Path file = dir.resolve(f);
            if (!Files.isRegularFile(file)) {
                String other = f.equals(PARAMS) ? FULL_PARAMS : f.equals(FULL_PARAMS) ? PARAMS : null;
                return file + " is missing" + (other != null && Files.isRegularFile(dir.resolve(other))
                        ? " (the checkpoint is of a " + (other.equals(PARAMS) ? "LoRA" : "model_type \"full\"") + " run)" : "");
            }
            try (TensorSource src = Checkpoints.open(file)) {
                src.names();
            } catch (IOException | RuntimeException e) {
                return e.getMessage();
            }
        }
        return null;
    }

    /**
     * Removes {@code checkpoint-<step>} folders that hold no training_state.json and nothing but checkpoint files:
     * what a delete cut off half-way leaves. Returns what was removed.
     */
    public List<String> removeRemains() throws IOException {
        List<String> done = new ArrayList<>();
        if (!Files.isDirectory(outputDir)) return done;
        List<Path> dirs;
        try (Stream<Path> s = Files.list(outputDir)) {
            dirs = s.filter(p -> NAME.matcher(p.getFileName().toString()).matches() && Files.isDirectory(p) && !Files.exists(p.resolve(STATE))).toList();
        }
        for (Path d : dirs) {
            boolean onlyOurs;
            try (Stream<Path> s = Files.list(d)) {
                onlyOurs = s.allMatch(p -> CHECKPOINT_FILES.contains(p.getFileName().toString()));
            }
            if (!onlyOurs) continue;
            Leftovers.discard(d);
            done.add("removed " + d + "/ (an incomplete checkpoint without " + STATE + ")");
        }
        return done;
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

    /** The step in a checkpoint folder's name, or -1 when it does not fit a long. */
    static long stepOf(Path p) {
        String digits = p.getFileName().toString().substring(PREFIX.length());
        try {
            return Long.parseLong(digits);
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
