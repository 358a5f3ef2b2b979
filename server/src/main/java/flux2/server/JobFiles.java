package flux2.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import flux2.server.jobs.Job;
import flux2.trainer.events.EventLog;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The files of a job's output folder as the Job page lists them: the final LoRA file (or transformer folder), the
 * checkpoints (every one in the folder, each resumable) with their files, the validation images the job's events
 * name, and the metrics and loss curve. Paths are relative to the output folder, as {@code /api/jobs/{id}/files/...}
 * takes them.
 */
public final class JobFiles {
    private JobFiles() {}

    public static Map<String, Object> list(ProjectRoot root, Job job) throws IOException {
        Path out = root.check(job.outputDir());
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("output_dir", root.display(out));
        List<Map<String, Object>> finals = new ArrayList<>();
        for (String name : List.of("pytorch_lora_weights.safetensors", "transformer"))
            if (Files.exists(out.resolve(name))) finals.addAll(files(out, out.resolve(name)));
        m.put("lora", finals);
        List<Map<String, Object>> checkpoints = new ArrayList<>();
        if (Files.isDirectory(out)) {
            try (Stream<Path> s = Files.list(out)) {
                for (Path d : s.filter(p -> p.getFileName().toString().matches("checkpoint-\\d+") && Files.isDirectory(p))
                        .sorted(Comparator.comparingLong(p -> Long.parseLong(p.getFileName().toString().substring("checkpoint-".length())))).toList()) {
                    Map<String, Object> c = new LinkedHashMap<>();
                    c.put("name", d.getFileName().toString());
                    c.put("step", Long.parseLong(d.getFileName().toString().substring("checkpoint-".length())));
                    c.put("files", files(out, d));
                    checkpoints.add(c);
                }
            }
        }
        m.put("checkpoints", checkpoints);
        List<Map<String, Object>> images = new ArrayList<>();
        for (ObjectNode e : job.events(0)) {
            if (!EventLog.VALIDATION_IMAGE.equals(e.path("type").asText())) continue;
            var d = e.path("data");
            for (var img : e.path("images")) {
                Map<String, Object> i = new LinkedHashMap<>();
                i.put("path", img.asText());
                i.put("step", d.path("step").asLong());
                i.put("shortname", d.path("shortname").asText());
                i.put("index", d.path("index").asInt());
                i.put("resolution", d.path("resolution").asText());
                i.put("exists", Files.isRegularFile(out.resolve(img.asText())));
                images.add(i);
            }
        }
        m.put("images", images);
        List<Map<String, Object>> other = new ArrayList<>();
        for (String name : List.of("metrics.jsonl", "loss_curve.png", EventLog.FILE_NAME))
            if (Files.isRegularFile(out.resolve(name))) other.addAll(files(out, out.resolve(name)));
        m.put("other", other);
        return m;
    }

    /** The file {@code relative} of the job's output folder; 403 when it leaves it or the project folder, 404 when absent. */
    public static Path file(ProjectRoot root, Job job, String relative) {
        Path f = root.resolve(root.check(job.outputDir()), relative);
        if (!Files.isRegularFile(f)) throw ApiError.notFound("job " + job.id() + " has no file " + relative);
        return f;
    }

    private static List<Map<String, Object>> files(Path out, Path p) throws IOException {
        List<Map<String, Object>> list = new ArrayList<>();
        try (Stream<Path> s = Files.walk(p)) {
            for (Path f : s.filter(Files::isRegularFile).sorted().toList()) {
                Map<String, Object> e = new LinkedHashMap<>();
                e.put("path", out.relativize(f).toString().replace('\\', '/'));
                e.put("bytes", Files.size(f));
                list.add(e);
            }
        }
        return list;
    }
}
