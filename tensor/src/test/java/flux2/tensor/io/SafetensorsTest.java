package flux2.tensor.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import flux2.tensor.Backends;
import flux2.tensor.DType;
import flux2.tensor.MemoryStats;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsTest {
    /**
     * A file written by the reference implementation (Python safetensors 0.8.0, {@code serialize} with metadata
     * {"format": "pt"}): f32 [2,3] = 1.5 -2 0 3.25 0.001 -7; bf16 [3] = 1.5 -2 +inf; f16 [2] = 1.5 -2;
     * i64 [2] = -(2^62)-5 1234567890123; i32 [1,2] = -7 2147483647; i8 [3] = -128 0 127; u8 [2] = 255 1;
     * bool [2] = 1 0; empty F32 [0,4]; scalar F32 [] = 42.
     */
    private static final String REFERENCE_FILE = "aAIAAAAAAAB7Il9fbWV0YWRhdGFfXyI6eyJmb3JtYXQiOiJwdCJ9LCJpNjQiOnsiZHR5cGUiOiJJNjQiLCJzaGFwZSI6WzJdLCJkYXRhX29mZnNldHMiOlsw"
            + "LDE2XX0sImVtcHR5Ijp7ImR0eXBlIjoiRjMyIiwic2hhcGUiOlswLDRdLCJkYXRhX29mZnNldHMiOlsxNiwxNl19LCJmMzIiOnsiZHR5cGUiOiJGMzIiLCJz"
            + "aGFwZSI6WzIsM10sImRhdGFfb2Zmc2V0cyI6WzE2LDQwXX0sInNjYWxhciI6eyJkdHlwZSI6IkYzMiIsInNoYXBlIjpbXSwiZGF0YV9vZmZzZXRzIjpbNDAs"
            + "NDRdfSwiaTMyIjp7ImR0eXBlIjoiSTMyIiwic2hhcGUiOlsxLDJdLCJkYXRhX29mZnNldHMiOls0NCw1Ml19LCJiZjE2Ijp7ImR0eXBlIjoiQkYxNiIsInNo"
            + "YXBlIjpbM10sImRhdGFfb2Zmc2V0cyI6WzUyLDU4XX0sImYxNiI6eyJkdHlwZSI6IkYxNiIsInNoYXBlIjpbMl0sImRhdGFfb2Zmc2V0cyI6WzU4LDYyXX0s"
            + "Imk4Ijp7ImR0eXBlIjoiSTgiLCJzaGFwZSI6WzNdLCJkYXRhX29mZnNldHMiOls2Miw2NV19LCJ1OCI6eyJkdHlwZSI6IlU4Iiwic2hhcGUiOlsyXSwiZGF0"
            + "YV9vZmZzZXRzIjpbNjUsNjddfSwiYm9vbCI6eyJkdHlwZSI6IkJPT0wiLCJzaGFwZSI6WzJdLCJkYXRhX29mZnNldHMiOls2Nyw2OV19fSAgICAg+///////"
            + "/7/LBPtxHwEAAAAAwD8AAADAAAAAAAAAUEBvEoM6AADgwAAAKEL5////////f8A/AMCAfwA+AMCAAH//AQEA";

    private static final List<DType> SAFETENSORS_DTYPES =
            List.of(DType.F32, DType.BF16, DType.F16, DType.I64, DType.I32, DType.I8, DType.U8, DType.BOOL);

    @TempDir Path dir;
    private TensorArena arena;

    @BeforeEach
    void openArena() { arena = TensorArena.open("safetensors-test"); }

    @AfterEach
    void closeArena() { arena.close(); }

    // ---------------------------------------------------------------- reading and writing

    @Test
    void readsFileWrittenByReferenceImplementation() throws IOException {
        Path f = dir.resolve("ref.safetensors");
        Files.write(f, Base64.getDecoder().decode(REFERENCE_FILE));
        try (SafetensorsFile sf = SafetensorsFile.open(f)) {
            assertEquals(Map.of("format", "pt"), sf.metadata());
            assertEquals(List.of("bf16", "bool", "empty", "f16", "f32", "i32", "i64", "i8", "scalar", "u8"), sf.names());
            Tensor f32 = sf.tensor("f32");
            assertEquals(DType.F32, f32.dtype());
            assertArrayEquals(new int[]{2, 3}, f32.shape());
            assertArrayEquals(new float[]{1.5f, -2f, 0f, 3.25f, 1e-3f, -7f}, f32.toFloatArray());
            assertArrayEquals(new float[]{1.5f, -2f, Float.POSITIVE_INFINITY}, sf.tensor("bf16").toFloatArray());
            assertArrayEquals(new float[]{1.5f, -2f}, sf.tensor("f16").toFloatArray());
            assertArrayEquals(new long[]{-(1L << 62) - 5, 1234567890123L}, sf.tensor("i64").toLongArray());
            assertArrayEquals(new long[]{-7, Integer.MAX_VALUE}, sf.tensor("i32").toLongArray());
            assertArrayEquals(new long[]{-128, 0, 127}, sf.tensor("i8").toLongArray());
            assertArrayEquals(new long[]{255, 1}, sf.tensor("u8").toLongArray());
            assertArrayEquals(new long[]{1, 0}, sf.tensor("bool").toLongArray());
            assertArrayEquals(new int[]{0, 4}, sf.tensor("empty").shape());
            assertEquals(0, sf.tensor("empty").numel());
            assertEquals(0, sf.tensor("scalar").rank());
            assertEquals(42.0, sf.tensor("scalar").item());
            assertTrue(f32.storage().readOnly());
            assertTrue(f32.segment().isReadOnly());
            assertEquals(Backends.cpu(), f32.backend());
            TensorInfo info = sf.info("i32");
            assertEquals(DType.I32, info.dtype());
            assertArrayEquals(new long[]{1, 2}, info.shape());
            assertEquals(44, info.begin());
            assertEquals(52, info.end());
        }
    }

    @Test
    void writerReproducesReferenceBytes() throws IOException {
        Map<String, Tensor> t = new LinkedHashMap<>();
        t.put("f32", Tensor.of(new float[]{1.5f, -2f, 0f, 3.25f, 1e-3f, -7f}, 2, 3));
        t.put("bf16", Tensor.of(new float[]{1.5f, -2f, Float.POSITIVE_INFINITY}, 3).to(DType.BF16));
        t.put("f16", Tensor.of(new float[]{1.5f, -2f}, 2).to(DType.F16));
        t.put("i64", Tensor.ofLongs(new long[]{-(1L << 62) - 5, 1234567890123L}, 2));
        t.put("i32", filled(DType.I32, new int[]{1, 2}, -7, Integer.MAX_VALUE));
        t.put("i8", filled(DType.I8, new int[]{3}, -128, 0, 127));
        t.put("u8", filled(DType.U8, new int[]{2}, 255, 1));
        t.put("bool", filled(DType.BOOL, new int[]{2}, 1, 0));
        t.put("empty", Tensor.zeros(DType.F32, 0, 4));
        t.put("scalar", Tensor.of(new float[]{42f}));
        Path f = dir.resolve("mine.safetensors");
        SafetensorsWriter.write(f, t, Map.of("format", "pt"));
        assertArrayEquals(Base64.getDecoder().decode(REFERENCE_FILE), Files.readAllBytes(f));
    }

    @Test
    void roundTripEveryDtypeWithMetadata() throws IOException {
        Random rnd = new Random(7);
        Map<String, Tensor> src = new LinkedHashMap<>();
        Map<String, byte[]> expect = new LinkedHashMap<>();
        for (DType dt : SAFETENSORS_DTYPES) {
            for (int[] shape : new int[][]{{3, 5, 7}, {1}, {13}, {}}) {
                byte[] raw = new byte[Math.toIntExact(dt.bytesFor(product(shape)))];
                rnd.nextBytes(raw);
                if (dt == DType.BOOL) for (int i = 0; i < raw.length; i++) raw[i] &= 1;
                Tensor t = Tensor.zeros(dt, shape);
                MemorySegment.copy(raw, 0, t.segment(), ValueLayout.JAVA_BYTE, 0, raw.length);
                String name = "layer." + dt.name().toLowerCase() + ".r" + shape.length + (shape.length > 0 ? "x" + shape[0] : "") + ".wé";
                src.put(name, t);
                expect.put(name, raw);
            }
        }
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("kind", "test");
        meta.put("config", "{\"a\": [1, 2], \"b\": \"x\\ny\"}");
        meta.put("multi line", "first\nsecond\ttab é ✓");
        meta.put("empty", "");
        Path f = dir.resolve("all.safetensors");
        SafetensorsWriter.write(f, src, meta);

        byte[] file = Files.readAllBytes(f);
        long n = ByteBuffer.wrap(file, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, n % 8, "header padded to 8 bytes");
        String header = new String(file, 8, (int) n, StandardCharsets.UTF_8);
        assertTrue(header.startsWith("{\"__metadata__\":{\"kind\":\"test\""), header);
        assertTrue(header.endsWith("}") || header.endsWith(" "), header);

        try (SafetensorsFile sf = SafetensorsFile.open(f)) {
            assertEquals(meta, sf.metadata());
            assertEquals(List.copyOf(new java.util.TreeSet<>(src.keySet())), sf.names());
            for (Map.Entry<String, byte[]> e : expect.entrySet()) {
                Tensor t = sf.tensor(e.getKey());
                Tensor s = src.get(e.getKey());
                assertEquals(s.dtype(), t.dtype(), e.getKey());
                assertArrayEquals(s.shape(), t.shape(), e.getKey());
                assertArrayEquals(e.getValue(), bytes(t), e.getKey());
                // Tensors start at a multiple of their element size, relative to the file start.
                long fileOffset = 8 + n + sf.info(e.getKey()).begin();
                assertEquals(0, fileOffset % t.dtype().byteSize(), e.getKey());
            }
        }
    }

    @Test
    void roundTripNonContiguousSources() throws IOException {
        Tensor base = Tensor.zeros(DType.F32, 4, 6, 5);
        for (int i = 0; i < 4; i++) for (int j = 0; j < 6; j++) for (int k = 0; k < 5; k++) base.set(i * 100 + j * 10 + k - 250, i, j, k);
        Tensor bf = base.to(DType.BF16);
        Tensor longs = Tensor.ofLongs(new long[]{1, -2, 3, -4, 5, -6}, 2, 3);
        Map<String, Tensor> src = new LinkedHashMap<>();
        src.put("permuted", base.permute(2, 0, 1));
        src.put("narrowed", base.narrow(1, 1, 4));
        src.put("sliced", base.slice(2, 0, 5, 2));
        src.put("expanded", base.select(0, 1).select(0, 2).unsqueeze(0).expand(3, 5));
        src.put("transposed_bf16", bf.transpose(0, 2));
        src.put("selected", base.select(1, 3));
        src.put("long_t", longs.t());
        src.put("offset_contiguous", base.select(0, 2));
        for (Tensor t : List.of(src.get("permuted"), src.get("narrowed"), src.get("expanded"), src.get("long_t")))
            assertFalse(t.isContiguous());
        for (long staging : new long[]{1, 37, 64L << 20}) {
            Path f = dir.resolve("strided" + staging + ".safetensors");
            SafetensorsWriter.write(f, src, Map.of(), staging);
            try (SafetensorsFile sf = SafetensorsFile.open(f)) {
                for (Map.Entry<String, Tensor> e : src.entrySet()) {
                    Tensor t = sf.tensor(e.getKey());
                    assertArrayEquals(e.getValue().shape(), t.shape(), e.getKey());
                    assertArrayEquals(valuesByIndex(e.getValue()), valuesByIndex(t), e.getKey() + " staging " + staging);
                }
            }
        }
    }

    @Test
    void emptyTensorsRoundTrip() throws IOException {
        Map<String, Tensor> src = new LinkedHashMap<>();
        src.put("a_empty", Tensor.zeros(DType.F32, 0));
        src.put("b_empty3", Tensor.zeros(DType.BF16, 3, 0, 2));
        src.put("c_after", Tensor.of(new float[]{1, 2, 3}, 3));
        src.put("d_empty_strided", Tensor.zeros(DType.F32, 4, 0).t());
        Path f = dir.resolve("empty.safetensors");
        SafetensorsWriter.write(f, src);
        try (SafetensorsFile sf = SafetensorsFile.open(f)) {
            assertArrayEquals(new int[]{0}, sf.tensor("a_empty").shape());
            assertArrayEquals(new int[]{3, 0, 2}, sf.tensor("b_empty3").shape());
            assertArrayEquals(new int[]{0, 4}, sf.tensor("d_empty_strided").shape());
            assertEquals(0, sf.info("b_empty3").byteSize());
            assertArrayEquals(new float[]{1, 2, 3}, sf.tensor("c_after").toFloatArray());
        }
        // A file without any tensor is valid too.
        Path none = dir.resolve("none.safetensors");
        SafetensorsWriter.write(none, Map.of(), Map.of("only", "metadata"));
        try (SafetensorsFile sf = SafetensorsFile.open(none)) {
            assertEquals(List.of(), sf.names());
            assertEquals(Map.of("only", "metadata"), sf.metadata());
        }
    }

    @Test
    void mappingIsAccountedAndClosedOnClose() throws IOException {
        Path f = dir.resolve("m.safetensors");
        SafetensorsWriter.write(f, Map.of("x", Tensor.of(new float[]{1, 2}, 2)));
        long before = MemoryStats.mappedBytes();
        SafetensorsFile sf = SafetensorsFile.open(f);
        assertEquals(before + Files.size(f), MemoryStats.mappedBytes());
        Tensor x = sf.tensor("x");
        assertEquals(2.0, x.get(1));
        sf.close();
        sf.close();
        assertEquals(before, MemoryStats.mappedBytes());
        assertThrows(IllegalStateException.class, () -> sf.tensor("x"));
        assertThrows(IllegalStateException.class, () -> x.get(0), "views of an unmapped file must not read freed memory");
        try (SafetensorsFile again = SafetensorsFile.open(f)) {
            SafetensorsException e = assertThrows(SafetensorsException.class, () -> again.tensor("nope"));
            assertOneLineNaming(e, f);
            assertContains(e, "'nope'", "no such tensor");
        }
    }

    // ---------------------------------------------------------------- atomic writes

    @Test
    void atomicWriteLeavesOnlyTheTarget() throws IOException {
        Path f = dir.resolve("atomic.safetensors");
        SafetensorsWriter.write(f, Map.of("a", Tensor.of(new float[]{1}, 1)));
        SafetensorsWriter.write(f, Map.of("b", Tensor.of(new float[]{2, 3}, 2)));
        assertEquals(List.of(f), listDir());
        try (SafetensorsFile sf = SafetensorsFile.open(f)) {
            assertEquals(List.of("b"), sf.names());
        }
    }

    @Test
    void failedWriteLeavesTargetUntouched() throws IOException {
        Path f = dir.resolve("keep.safetensors");
        SafetensorsWriter.write(f, Map.of("old", Tensor.of(new float[]{1, 2, 3}, 3)));
        byte[] original = Files.readAllBytes(f);

        // Fails while data is being written: the second tensor's memory is gone.
        Tensor dead;
        try (TensorArena gone = TensorArena.create("gone")) {
            dead = Tensor.allocate(Backends.cpu(), DType.F32, new int[]{1000}, gone);
        }
        Map<String, Tensor> bad = new LinkedHashMap<>();
        bad.put("a", Tensor.of(new float[1000], 1000));
        bad.put("z", dead);
        assertThrows(IllegalStateException.class, () -> SafetensorsWriter.write(f, bad));
        assertArrayEquals(original, Files.readAllBytes(f));
        assertEquals(List.of(f), listDir());

        // Rejected before anything is written.
        assertThrows(IllegalArgumentException.class, () -> SafetensorsWriter.write(f, Map.of("q", Tensor.zeros(DType.I4, 4))));
        assertThrows(IllegalArgumentException.class, () -> SafetensorsWriter.write(f, Map.of("__metadata__", Tensor.zeros(DType.F32, 1))));
        assertArrayEquals(original, Files.readAllBytes(f));
        assertEquals(List.of(f), listDir());

        // A folder that does not exist is an error naming the file.
        Path missing = dir.resolve("no/such/dir/x.safetensors");
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> SafetensorsWriter.write(missing, Map.of()));
        assertTrue(e.getMessage().startsWith(missing.toString()), e.getMessage());
    }

    // ---------------------------------------------------------------- corrupt files

    @Test
    void truncatedFilesAtEveryLengthAreRejected() throws IOException {
        byte[] valid = Base64.getDecoder().decode(REFERENCE_FILE);
        Path f = dir.resolve("trunc.safetensors");
        for (int len = 0; len < valid.length; len++) {
            Files.write(f, Arrays.copyOf(valid, len));
            SafetensorsException e = assertThrows(SafetensorsException.class, () -> SafetensorsFile.open(f).close(), "length " + len);
            assertOneLineNaming(e, f);
            if (len < 8) assertContains(e, "too short");
            else if (len < 8 + 616) assertContains(e, "past the end of the file");
            else assertContains(e, "past the end of the data section");
        }
    }

    @Test
    void headerLengthProblems() throws IOException {
        assertCorrupt(raw(1L << 62, "{}".getBytes(StandardCharsets.UTF_8)), "4611686018427387904", "exceeds the limit");
        assertCorrupt(raw(-1L, new byte[16]), "18446744073709551615", "exceeds the limit");
        assertCorrupt(raw(1000, "{}".getBytes(StandardCharsets.UTF_8)), "1000", "past the end of the file");
        assertCorrupt(raw(0, new byte[0]), "empty");
        Path missing = dir.resolve("missing.safetensors");
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> SafetensorsFile.open(missing));
        assertOneLineNaming(e, missing);
        assertContains(e, "no such file");
    }

    @Test
    void malformedJsonIsRejected() throws IOException {
        assertCorrupt(header("not json at all"), "not valid JSON");
        assertCorrupt(header("{\"a\": {\"dtype\": \"F32\""), "not valid JSON");
        assertCorrupt(header("[1, 2, 3]"), "array", "expected an object");
        assertCorrupt(header("\"text\""), "string", "expected an object");
        assertCorrupt(header("{} {}"), "not valid JSON");
        assertCorrupt(header("{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]},\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}}"),
                "not valid JSON", "'a'");
        byte[] badUtf8 = "{\"\u00ff\":1}".getBytes(StandardCharsets.ISO_8859_1);
        assertCorrupt(raw(badUtf8.length, badUtf8), "not valid JSON");
        assertCorrupt(header("[".repeat(100_000)), "not valid JSON");
    }

    @Test
    void wrongTypesAreRejected() throws IOException {
        assertCorrupt(header("{\"w\": \"F32\"}"), "'w'", "entry is a JSON string");
        assertCorrupt(header("{\"w\": {\"shape\": [1], \"data_offsets\": [0, 4]}}"), "'w'", "no 'dtype'");
        assertCorrupt(header("{\"w\": {\"dtype\": \"F32\", \"data_offsets\": [0, 4]}}"), "'w'", "no 'shape'");
        assertCorrupt(header("{\"w\": {\"dtype\": \"F32\", \"shape\": [1]}}"), "'w'", "no 'data_offsets'");
        assertCorrupt(tensorHeader("32", "[1]", "[0, 4]"), "'w'", "'dtype' is a JSON number");
        assertCorrupt(tensorHeader("\"F32\"", "\"1\"", "[0, 4]"), "'w'", "'shape' is a JSON string");
        assertCorrupt(tensorHeader("\"F32\"", "[\"1\"]", "[0, 4]"), "'w'", "'shape'", "\"1\"");
        assertCorrupt(tensorHeader("\"F32\"", "[1.0]", "[0, 4]"), "'w'", "'shape'", "1.0");
        assertCorrupt(tensorHeader("\"F32\"", "[null]", "[0, 4]"), "'w'", "'shape'");
        assertCorrupt(tensorHeader("\"F32\"", "[1]", "[0, 4, 8]"), "'w'", "'data_offsets' must be an array [begin, end]");
        assertCorrupt(tensorHeader("\"F32\"", "[1]", "{\"0\": 4}"), "'w'", "'data_offsets' must be an array [begin, end]");
        assertCorrupt(tensorHeader("\"F32\"", "[1]", "[0, 4.5]"), "'w'", "'data_offsets'");
        assertCorrupt(tensorHeader("\"F32\"", "[1]", "[0, 18446744073709551620]"), "'w'", "64-bit");
        assertCorrupt(header("{\"__metadata__\": [\"a\"]}"), "__metadata__", "array");
        assertCorrupt(header("{\"__metadata__\": {\"kind\": 3}}"), "__metadata__", "'kind'", "number");
    }

    @Test
    void badValuesAreRejected() throws IOException {
        assertCorrupt(tensorHeader("\"F64\"", "[1]", "[0, 8]"), "'w'", "unsupported dtype 'F64'");
        assertCorrupt(tensorHeader("\"I4\"", "[2]", "[0, 1]"), "'w'", "unsupported dtype 'I4'");
        assertCorrupt(tensorHeader("\"f32\"", "[1]", "[0, 4]"), "'w'", "unsupported dtype 'f32'");
        assertCorrupt(tensorHeader("\"F32\"", "[-1, 4]", "[0, 4]"), "'w'", "'shape'", "-1");
        assertCorrupt(tensorHeader("\"F32\"", "[1]", "[-4, 4]"), "'w'", "'data_offsets'", "-4");
        assertCorrupt(tensorHeader("\"F32\"", "[1]", "[8, 4]"), "'w'", "begin 8 is after end 4");
        assertCorrupt(tensorHeader("\"F32\"", "[1]", "[0, 1000]"), "'w'", "past the end of the data section");
        assertCorrupt(tensorHeader("\"F32\"", "[1]", "[9223372036854775800, 9223372036854775804]"), "'w'", "past the end of the data section");
        assertCorrupt(tensorHeader("\"F32\"", "[3]", "[0, 8]"), "'w'", "needs 12 bytes", "hold 8");
        assertCorrupt(tensorHeader("\"F32\"", "[1099511627776, 1099511627776]", "[0, 4]"), "'w'", "more elements than fit in 64 bits");
        assertCorrupt(tensorHeader("\"F32\"", "[4611686018427387904]", "[0, 4]"), "'w'", "more elements than fit in 64 bits");
        assertCorrupt(header("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 16), "'b'", "overlap tensor 'a'");
        assertCorrupt(header("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]},"
                + "\"b\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[5,5]},"
                + "\"c\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2]}}", 16), "'b'", "overlap tensor 'a'");
        // A name with a newline cannot break the message over two lines.
        assertCorrupt(header("{\"bad\\nname\": 1}"), "'bad\\nname'");
    }

    @Test
    void dataOffsetsMustCoverTheDataSectionExactlyAsInTheReference() throws IOException {
        // the first tensor must begin at 0
        assertCorrupt(header("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8),
                "'a'", "begin at 4", "must begin at 0");
        // each tensor begins where the previous one ends, whatever order the header lists them in
        assertCorrupt(header("{\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 12), "'b'", "gap of 4 bytes after tensor 'a'");
        // no bytes after the last tensor
        assertCorrupt(tensorHeader("\"F32\"", "[1]", "[0, 4]"), "data section holds 16 bytes", "end at byte 4", "'w'", "12 bytes after the data");
        assertCorrupt(header("{\"__metadata__\":{\"k\":\"v\"}}", 1), "declares no tensor", "1 bytes after the data");
        // what the reference accepts is accepted: any listing order, empty tensors at a shared offset, nothing at all
        Path ok = header("{\"z\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[4,4]},\"b\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[4,6]},"
                + "\"e\":{\"dtype\":\"F32\",\"shape\":[0,3],\"data_offsets\":[0,0]},\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 6);
        try (SafetensorsFile sf = SafetensorsFile.open(ok)) {
            assertEquals(List.of("a", "b", "e", "z"), sf.names());
            assertEquals(2, sf.info("b").byteSize());
        }
        try (SafetensorsFile sf = SafetensorsFile.open(header("{}", 0))) {
            assertEquals(List.of(), sf.names());
        }
    }

    @Test
    void headerMustBeUtf8() throws IOException {
        byte[] utf16 = "{\"a\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[0,0]}}".getBytes(StandardCharsets.UTF_16LE);
        assertCorrupt(raw(utf16.length, utf16), "not valid JSON", "UTF-16");
        byte[] latin1 = "{\"caf\u00e9\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[0,0]}}".getBytes(StandardCharsets.ISO_8859_1);
        assertCorrupt(raw(latin1.length, latin1), "not valid JSON", "0xE9 at offset 5", "not valid UTF-8");
        byte[] bom = ("\uFEFF{}").getBytes(StandardCharsets.UTF_8);
        assertCorrupt(raw(bom.length, bom), "not valid JSON");
    }

    @Test
    void dimensionsTooLargeForTheEngineFailOnlyWhenRequested() throws IOException {
        // 2^31 BOOL elements would need 2 GiB of data; a zero dimension keeps the file tiny but the shape too wide for int.
        Path f = header("{\"w\":{\"dtype\":\"U8\",\"shape\":[3000000000,0],\"data_offsets\":[0,0]}}", 0);
        try (SafetensorsFile sf = SafetensorsFile.open(f)) {
            assertArrayEquals(new long[]{3_000_000_000L, 0}, sf.info("w").shape());
            SafetensorsException e = assertThrows(SafetensorsException.class, () -> sf.tensor("w"));
            assertOneLineNaming(e, f);
            assertContains(e, "'w'", "exceeds 2147483647");
        }
    }

    @Test
    void fuzzedFilesFailCleanlyOrReadValidly() throws IOException {
        Random rnd = new Random(20240611);
        Map<String, Tensor> src = new LinkedHashMap<>();
        src.put("alpha", Tensor.of(new float[]{1, 2, 3, 4, 5, 6}, 2, 3));
        src.put("beta", Tensor.of(new float[]{7, 8, 9}, 3).to(DType.BF16));
        src.put("gamma", Tensor.ofLongs(new long[]{10, 11}, 2));
        src.put("delta", filled(DType.I8, new int[]{5}, 1, -2, 3, -4, 5));
        src.put("eps", Tensor.zeros(DType.F16, 2, 0));
        Path valid = dir.resolve("valid.safetensors");
        SafetensorsWriter.write(valid, src, Map.of("kind", "fuzz", "n", "12"));
        byte[] good = Files.readAllBytes(valid);
        int headerEnd = 8 + (int) ByteBuffer.wrap(good, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();

        Path f = dir.resolve("fuzz.safetensors");
        int clean = 0, readable = 0;
        for (int round = 0; round < 400; round++) {
            byte[] b = mutate(good, headerEnd, rnd);
            Files.write(f, b);
            try (SafetensorsFile sf = SafetensorsFile.open(f)) {
                for (String name : sf.names()) {
                    TensorInfo info = sf.info(name);
                    assertTrue(info.begin() >= 0 && info.begin() <= info.end() && info.end() <= b.length - 8, "round " + round);
                    assertEquals(info.numel() * info.dtype().byteSize(), info.byteSize(), "round " + round);
                    Tensor t;
                    try {
                        t = sf.tensor(name);
                    } catch (SafetensorsException tooWide) {
                        assertContains(tooWide, "exceeds");
                        continue;
                    }
                    double sum = 0;
                    for (float v : t.toFloatArray()) sum += Float.isFinite(v) ? v : 0;
                    assertTrue(Double.isFinite(sum));
                }
                readable++;
            } catch (SafetensorsException e) {
                assertOneLineNaming(e, f);
                clean++;
            } catch (Throwable t) {
                fail("round " + round + ": " + t + " for header " + new String(b, 0, Math.min(b.length, headerEnd), StandardCharsets.ISO_8859_1), t);
            }
        }
        assertEquals(400, clean + readable);
        assertTrue(clean > 50 && readable > 20, "clean=" + clean + " readable=" + readable);
    }

    /** One random corruption: byte flips, digit changes, length-prefix damage, truncation, insertion, deletion. */
    private static byte[] mutate(byte[] good, int headerEnd, Random rnd) {
        byte[] b = good.clone();
        switch (rnd.nextInt(8)) {
            case 0 -> b[8 + rnd.nextInt(headerEnd - 8)] = (byte) rnd.nextInt(256);
            case 1 -> {
                // change a digit of the header: plausible but wrong shapes and offsets
                for (int tries = 0; tries < 100; tries++) {
                    int i = 8 + rnd.nextInt(headerEnd - 8);
                    if (b[i] >= '0' && b[i] <= '9') { b[i] = (byte) ('0' + rnd.nextInt(10)); break; }
                }
            }
            case 2 -> b[rnd.nextInt(8)] = (byte) rnd.nextInt(256);
            case 3 -> b = Arrays.copyOf(b, rnd.nextInt(b.length));
            case 4 -> {
                int i = 8 + rnd.nextInt(headerEnd - 8);
                byte[] c = new byte[b.length + 1];
                System.arraycopy(b, 0, c, 0, i);
                String chars = "{}[],:\"0-9e. ";
                c[i] = (byte) chars.charAt(rnd.nextInt(chars.length()));
                System.arraycopy(b, i, c, i + 1, b.length - i);
                b = c;
            }
            case 5 -> {
                int i = 8 + rnd.nextInt(headerEnd - 8);
                byte[] c = new byte[b.length - 1];
                System.arraycopy(b, 0, c, 0, i);
                System.arraycopy(b, i + 1, c, i, b.length - i - 1);
                b = c;
            }
            case 6 -> b[headerEnd + rnd.nextInt(b.length - headerEnd)] ^= (byte) (1 + rnd.nextInt(255));
            default -> {
                for (int k = 0; k < 4; k++) b[rnd.nextInt(b.length)] = (byte) rnd.nextInt(256);
            }
        }
        return b;
    }

    // ---------------------------------------------------------------- sharded checkpoints

    @Test
    void shardedIndexOpensShardsLazily() throws IOException {
        Path ck = Files.createDirectory(dir.resolve("ck"));
        SafetensorsWriter.write(ck.resolve("model-00001-of-00002.safetensors"), Map.of("a", Tensor.of(new float[]{1, 2}, 2)));
        SafetensorsWriter.write(ck.resolve("model-00002-of-00002.safetensors"),
                Map.of("b", Tensor.of(new float[]{3}, 1), "c", Tensor.of(new float[]{4, 5, 6}, 3)));
        Path index = ck.resolve("model.safetensors.index.json");
        Files.writeString(index, """
                {"metadata": {"total_size": 24, "format": "pt"},
                 "weight_map": {"a": "model-00001-of-00002.safetensors", "b": "model-00002-of-00002.safetensors",
                                "c": "model-00002-of-00002.safetensors"}}""");
        long before = MemoryStats.mappedBytes();
        try (TensorSource src = Checkpoints.open(ck)) {
            assertTrue(src instanceof ShardedSafetensors);
            assertEquals(before, MemoryStats.mappedBytes(), "no shard is mapped before a tensor is requested");
            assertEquals(List.of("a", "b", "c"), src.names());
            assertEquals(Map.of("total_size", "24", "format", "pt"), src.metadata());
            assertArrayEquals(new float[]{4, 5, 6}, src.tensor("c").toFloatArray());
            assertEquals(before + Files.size(ck.resolve("model-00002-of-00002.safetensors")), MemoryStats.mappedBytes());
            assertArrayEquals(new float[]{1, 2}, src.tensor("a").toFloatArray());
            assertArrayEquals(new float[]{3}, src.tensor("b").toFloatArray());
            assertArrayEquals(new long[]{3}, src.info("c").shape());
            assertEquals(ck.resolve("model-00001-of-00002.safetensors").toAbsolutePath(), ((ShardedSafetensors) src).shardOf("a"));
            assertContains(assertThrows(SafetensorsException.class, () -> src.tensor("zzz")), "'zzz'", "no such tensor");
        }
        assertEquals(before, MemoryStats.mappedBytes());
        // The index file itself opens the same checkpoint.
        try (TensorSource src = Checkpoints.open(index)) {
            assertArrayEquals(new float[]{3}, src.tensor("b").toFloatArray());
        }
    }

    @Test
    void shardedIndexErrors() throws IOException {
        Path ck = Files.createDirectory(dir.resolve("bad"));
        SafetensorsWriter.write(ck.resolve("s1.safetensors"), Map.of("a", Tensor.of(new float[]{1}, 1)));
        Path index = ck.resolve("x.safetensors.index.json");

        Files.writeString(index, "{\"weight_map\": {\"a\": \"s1.safetensors\", \"b\": \"s2.safetensors\"}}");
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> Checkpoints.open(ck));
        assertOneLineNaming(e, index);
        assertContains(e, "shard 's2.safetensors'", "'b'", "does not exist");

        Files.writeString(index, "{\"weight_map\": {\"a\": \"s1.safetensors\", \"b\": \"s1.safetensors\"}}");
        try (TensorSource src = Checkpoints.open(index)) {
            assertEquals(1.0, src.tensor("a").item());
            e = assertThrows(SafetensorsException.class, () -> src.tensor("b"));
            assertOneLineNaming(e, index);
            assertContains(e, "'b'", "'s1.safetensors'", "has no such tensor");
        }

        Files.writeString(index, "{\"weight_map\": {\"a\": \"../outside.safetensors\"}}");
        assertContains(assertThrows(SafetensorsException.class, () -> Checkpoints.open(index)), "outside the index's folder");
        Files.writeString(index, "{\"weight_map\": {\"a\": 5}}");
        assertContains(assertThrows(SafetensorsException.class, () -> Checkpoints.open(index)), "'a'", "expected a shard file name");
        Files.writeString(index, "{\"weights\": {}}");
        assertContains(assertThrows(SafetensorsException.class, () -> Checkpoints.open(index)), "no 'weight_map'");
        Files.writeString(index, "{\"weight_map\": [");
        assertContains(assertThrows(SafetensorsException.class, () -> Checkpoints.open(index)), "not valid JSON");

        // Two indexes in one folder are ambiguous.
        Files.writeString(index, "{\"weight_map\": {}}");
        Files.writeString(ck.resolve("y.safetensors.index.json"), "{\"weight_map\": {}}");
        assertContains(assertThrows(SafetensorsException.class, () -> Checkpoints.open(ck)), "2 index files");
    }

    @Test
    void foldersWithoutIndexCombineTheirFiles() throws IOException {
        Path ck = Files.createDirectory(dir.resolve("multi"));
        assertContains(assertThrows(SafetensorsException.class, () -> Checkpoints.open(ck)), "no *.safetensors");
        SafetensorsWriter.write(ck.resolve("one.safetensors"), Map.of("a", Tensor.of(new float[]{1}, 1)), Map.of("k", "1"));
        try (TensorSource src = Checkpoints.open(ck)) {
            assertTrue(src instanceof SafetensorsFile);
            assertEquals(List.of("a"), src.names());
        }
        SafetensorsWriter.write(ck.resolve("two.safetensors"), Map.of("b", Tensor.of(new float[]{2}, 1)), Map.of("k", "2", "j", "3"));
        try (TensorSource src = Checkpoints.open(ck)) {
            assertEquals(List.of("a", "b"), src.names());
            assertEquals(2.0, src.tensor("b").item());
            assertEquals(Map.of("k", "1", "j", "3"), src.metadata());
        }
        SafetensorsWriter.write(ck.resolve("three.safetensors"), Map.of("a", Tensor.of(new float[]{3}, 1)));
        long before = MemoryStats.mappedBytes();
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> Checkpoints.open(ck));
        assertContains(e, "'a'", "also present");
        assertEquals(before, MemoryStats.mappedBytes(), "files opened before the error are closed");
        assertContains(assertThrows(SafetensorsException.class, () -> Checkpoints.open(dir.resolve("nowhere"))), "no such file or folder");
    }

    // ---------------------------------------------------------------- helpers

    private List<Path> listDir() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(Files::isRegularFile).sorted().toList();
        }
    }

    private static long product(int[] shape) {
        long n = 1;
        for (int d : shape) n *= d;
        return n;
    }

    private static Tensor filled(DType dt, int[] shape, long... values) {
        Tensor t = Tensor.zeros(dt, shape);
        Tensor flat = t.reshape(values.length);
        for (int i = 0; i < values.length; i++) flat.set(values[i], i);
        return t;
    }

    private static byte[] bytes(Tensor t) {
        long n = t.dtype().bytesFor(t.numel());
        return t.segment().asSlice(t.byteOffset(), n).toArray(ValueLayout.JAVA_BYTE);
    }

    /** Every element by explicit multi-index through get(): a reference independent of copy kernels. */
    private static double[] valuesByIndex(Tensor t) {
        int[] shape = t.shape();
        double[] out = new double[Math.toIntExact(t.numel())];
        int[] idx = new int[shape.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = t.get(idx);
            for (int d = shape.length - 1; d >= 0; d--) {
                if (++idx[d] < shape[d]) break;
                idx[d] = 0;
            }
        }
        return out;
    }

    private Path raw(long declared, byte[] rest) throws IOException {
        Path f = Files.createTempFile(dir, "corrupt", ".safetensors");
        ByteBuffer b = ByteBuffer.allocate(8 + rest.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(declared).put(rest);
        Files.write(f, b.array());
        return f;
    }

    private Path header(String json) throws IOException { return header(json, 16); }

    /** A file with this header and {@code dataBytes} bytes of data. */
    private Path header(String json, int dataBytes) throws IOException {
        byte[] h = json.getBytes(StandardCharsets.UTF_8);
        byte[] rest = Arrays.copyOf(h, h.length + dataBytes);
        Path f = Files.createTempFile(dir, "corrupt", ".safetensors");
        ByteBuffer b = ByteBuffer.allocate(8 + rest.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(rest);
        Files.write(f, b.array());
        return f;
    }

    private Path tensorHeader(String dtype, String shape, String offsets) throws IOException {
        return header("{\"w\": {\"dtype\": " + dtype + ", \"shape\": " + shape + ", \"data_offsets\": " + offsets + "}}");
    }

    private static void assertCorrupt(Path f, String... fragments) {
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> SafetensorsFile.open(f).close());
        assertOneLineNaming(e, f);
        assertContains(e, fragments);
    }

    private static void assertOneLineNaming(Exception e, Path f) {
        String m = e.getMessage();
        assertTrue(m.startsWith(f.toString() + ": "), m);
        assertFalse(m.contains("\n") || m.contains("\r"), m);
    }

    private static void assertContains(Exception e, String... fragments) {
        for (String s : fragments) assertTrue(e.getMessage().contains(s), "'" + s + "' not in: " + e.getMessage());
    }
}
