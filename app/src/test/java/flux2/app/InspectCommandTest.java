package flux2.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import flux2.tensor.DType;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import flux2.tensor.io.SafetensorsFile;
import flux2.tensor.io.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InspectCommandTest {
    @TempDir Path dir;

    /** Exit code, stdout lines and stderr lines of one run of the command line. */
    record Run(int code, List<String> out, List<String> err) {}

    private static Run run(String... args) {
        CliRun r = CliRun.of(args);
        return new Run(r.code(), r.out().lines().toList(), r.err().lines().toList());
    }

    private Path written() throws IOException {
        Path f = dir.resolve("small.safetensors");
        try (TensorArena a = TensorArena.open("inspect-test")) {
            Map<String, Tensor> t = new LinkedHashMap<>();
            t.put("w", Tensor.zeros(DType.BF16, 4, 3));
            t.put("b", Tensor.zeros(DType.F32, 4));
            t.put("ids", Tensor.zeros(DType.I64, 2, 5));
            Map<String, String> meta = new LinkedHashMap<>();
            meta.put("kind", "demo");
            meta.put("note", "two\nlines");
            SafetensorsWriter.write(f, t, meta);
        }
        return f;
    }

    @Test
    void listsTensorsParametersBytesAndMetadata() throws IOException {
        Path f = written();
        Run r = run("inspect", f.toString());
        assertEquals(0, r.code(), String.join("\n", r.err()));
        assertEquals(List.of(), r.err());
        assertEquals(List.of(
                f + ": 3 tensors",
                "  b  F32  [4]",
                "  ids  I64  [2, 5]",
                "  w  BF16  [4, 3]",
                "parameters: 26",
                "bytes: F32=16 BF16=24 I64=80 (total 120)",
                "metadata:",
                "  kind = demo",
                "  note = two\\nlines"), r.out());
    }

    /** The first io file of the golden folder, whatever its cases: every tensor line and its kind come from the file. */
    @Test
    void inspectsGoldenFile() throws IOException {
        String golden = System.getProperty("flux2.golden.dir");
        if (golden == null) fail("system property flux2.golden.dir is not set");
        Path f;
        try (Stream<Path> files = Files.list(Path.of(golden))) {
            f = files.filter(p -> p.getFileName().toString().endsWith(".io.safetensors")).sorted().findFirst().orElse(null);
        }
        Assumptions.assumeTrue(f != null, "skipped: no *.io.safetensors in flux2.golden.dir=" + golden);
        List<String> tensors = new ArrayList<>();
        String kind;
        try (SafetensorsFile sf = SafetensorsFile.open(f)) {
            for (String n : sf.names()) tensors.add("  " + n + "  " + sf.info(n).dtype().safetensorsName() + "  " + Arrays.toString(sf.info(n).shape()));
            kind = sf.metadata().get("kind");
        }
        Run r = run("inspect", f.toString());
        assertEquals(0, r.code(), String.join("\n", r.err()));
        String out = String.join("\n", r.out());
        assertEquals(f + ": " + tensors.size() + " tensors", r.out().get(0));
        for (String line : tensors) assertTrue(r.out().contains(line), line + " missing from\n" + out);
        assertTrue(r.out().contains("  kind = " + kind), out);
        assertTrue(r.out().stream().anyMatch(l -> l.matches("parameters: [1-9][0-9]*")), out);
        assertTrue(r.out().stream().anyMatch(l -> l.matches("bytes: ([A-Z0-9]+=[0-9]+ )+\\(total [0-9]+\\)")), out);
    }

    @Test
    void followsIndexOfShardedFolder() throws IOException {
        Path f = written();
        Path ck = Files.createDirectory(dir.resolve("ck"));
        Files.copy(f, ck.resolve("part-1.safetensors"));
        Files.writeString(ck.resolve("model.safetensors.index.json"),
                "{\"metadata\": {\"total_size\": 120}, \"weight_map\": {\"w\": \"part-1.safetensors\", \"b\": \"part-1.safetensors\"}}");
        Run r = run("inspect", ck.toString());
        assertEquals(0, r.code(), String.join("\n", r.err()));
        assertEquals(List.of(
                ck.resolve("model.safetensors.index.json") + ": 2 tensors in 1 files",
                "  b  F32  [4]  part-1.safetensors",
                "  w  BF16  [4, 3]  part-1.safetensors",
                "parameters: 16",
                "bytes: F32=16 BF16=24 (total 40)",
                "metadata:",
                "  total_size = 120"), r.out());
    }

    @Test
    void corruptFileGivesOneLineAndNonZeroExit() throws IOException {
        byte[] good = Files.readAllBytes(written());
        Path bad = dir.resolve("truncated.safetensors");
        Files.write(bad, Arrays.copyOf(good, good.length - 7));
        Run r = run("inspect", bad.toString());
        assertTrue(r.code() != 0);
        assertEquals(1, r.err().size(), String.join("\n", r.err()));
        String line = r.err().get(0);
        assertTrue(line.contains(bad.toString()) && line.contains("past the end of the data section"), line);
        assertFalse(line.contains("Exception") || line.contains("\tat "), line);

        Path missing = dir.resolve("missing.safetensors");
        r = run("inspect", missing.toString());
        assertTrue(r.code() != 0);
        assertEquals(1, r.err().size(), String.join("\n", r.err()));
        assertTrue(r.err().get(0).contains(missing.toString()) && r.err().get(0).contains("no such file"), r.err().get(0));
    }
}
