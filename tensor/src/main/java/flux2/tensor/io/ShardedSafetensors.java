package flux2.tensor.io;

import com.fasterxml.jackson.databind.JsonNode;
import flux2.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A checkpoint split over several safetensors files: either a {@code *.safetensors.index.json} whose
 * {@code weight_map} names the shard of each tensor (shards are opened on first use), or a set of files
 * whose headers together form one name space.
 */
public final class ShardedSafetensors implements TensorSource {
    private static final long MAX_INDEX_BYTES = 100_000_000L;

    private final Path anchor;
    private final Map<String, Path> weightMap;
    private final List<String> names;
    private final Map<String, String> metadata;
    private final Map<Path, SafetensorsFile> open = new HashMap<>();
    private boolean closed;

    private ShardedSafetensors(Path anchor, Map<String, Path> weightMap, Map<String, String> metadata) {
        this.anchor = anchor;
        this.weightMap = Collections.unmodifiableMap(weightMap);
        this.names = List.copyOf(weightMap.keySet());
        this.metadata = Collections.unmodifiableMap(metadata);
    }

    /**
     * Reads an index file ({@code weight_map}: tensor name to shard file name, relative to the index's folder).
     * Checks that every shard exists; shards are mapped only when one of their tensors is first requested.
     */
    public static ShardedSafetensors open(Path indexJson) throws SafetensorsException {
        byte[] bytes;
        try {
            long size = Files.size(indexJson);
            if (size > MAX_INDEX_BYTES)
                throw new SafetensorsException(indexJson, "index is " + size + " bytes, more than the limit of " + MAX_INDEX_BYTES);
            bytes = Files.readAllBytes(indexJson);
        } catch (NoSuchFileException e) {
            throw new SafetensorsException(indexJson, "no such file", e);
        } catch (SafetensorsException e) {
            throw e;
        } catch (IOException e) {
            throw new SafetensorsException(indexJson, "cannot read: " + e, e);
        }
        JsonNode root = SafetensorsHeader.readJson(indexJson, bytes, "index");
        if (!root.isObject())
            throw new SafetensorsException(indexJson, "index is a JSON " + SafetensorsHeader.kind(root) + ", expected an object with 'weight_map'");
        JsonNode map = root.get("weight_map");
        if (map == null) throw new SafetensorsException(indexJson, "index has no 'weight_map'");
        if (!map.isObject())
            throw new SafetensorsException(indexJson, "'weight_map' is a JSON " + SafetensorsHeader.kind(map) + ", expected an object");
        Path folder = indexJson.toAbsolutePath().normalize().getParent();
        Map<String, Path> weightMap = new TreeMap<>();
        Map<Path, String> exampleTensor = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : map.properties()) {
            JsonNode v = e.getValue();
            if (!v.isTextual() || v.textValue().isEmpty())
                throw new SafetensorsException(indexJson, "'weight_map' entry " + SafetensorsException.quote(e.getKey())
                        + " is a JSON " + SafetensorsHeader.kind(v) + ", expected a shard file name");
            Path shard;
            try {
                shard = folder.resolve(v.textValue()).normalize();
            } catch (RuntimeException bad) {
                throw new SafetensorsException(indexJson, "'weight_map' entry " + SafetensorsException.quote(e.getKey())
                        + " names an invalid path " + SafetensorsException.quote(v.textValue()));
            }
            // A shard outside the index's folder would let a downloaded index read arbitrary files.
            if (!shard.startsWith(folder) || shard.equals(folder))
                throw new SafetensorsException(indexJson, "'weight_map' entry " + SafetensorsException.quote(e.getKey())
                        + " names " + SafetensorsException.quote(v.textValue()) + ", which is outside the index's folder");
            weightMap.put(e.getKey(), shard);
            exampleTensor.putIfAbsent(shard, e.getKey());
        }
        for (Map.Entry<Path, String> s : exampleTensor.entrySet())
            if (!Files.isRegularFile(s.getKey()))
                throw new SafetensorsException(indexJson, "shard " + SafetensorsException.quote(folder.relativize(s.getKey()).toString())
                        + " (holding tensor " + SafetensorsException.quote(s.getValue()) + " and others) does not exist");
        Map<String, String> metadata = new LinkedHashMap<>();
        JsonNode meta = root.get("metadata");
        if (meta != null && !meta.isNull()) {
            if (!meta.isObject())
                throw new SafetensorsException(indexJson, "'metadata' is a JSON " + SafetensorsHeader.kind(meta) + ", expected an object");
            for (Map.Entry<String, JsonNode> e : meta.properties())
                metadata.put(e.getKey(), e.getValue().isTextual() ? e.getValue().textValue() : e.getValue().toString());
        }
        return new ShardedSafetensors(indexJson, weightMap, metadata);
    }

    /**
     * Opens {@code files} (already sorted) as one checkpoint: every file is mapped now, a tensor name that
     * appears in two files is an error, and the metadata is the union of the files' metadata (the first file
     * that has a key wins).
     */
    public static ShardedSafetensors ofFiles(Path folder, List<Path> files) throws SafetensorsException {
        Map<String, Path> weightMap = new TreeMap<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        Map<Path, SafetensorsFile> opened = new LinkedHashMap<>();
        try {
            for (Path f : files) {
                Path key = f.toAbsolutePath().normalize();
                SafetensorsFile sf = SafetensorsFile.open(f);
                opened.put(key, sf);
                for (String n : sf.names()) {
                    Path before = weightMap.putIfAbsent(n, key);
                    if (before != null)
                        throw SafetensorsException.tensor(f, n, "also present in " + before + "; cannot combine the files of " + folder);
                }
                sf.metadata().forEach(metadata::putIfAbsent);
            }
        } catch (SafetensorsException e) {
            opened.values().forEach(SafetensorsFile::close);
            throw e;
        }
        ShardedSafetensors s = new ShardedSafetensors(folder, weightMap, metadata);
        s.open.putAll(opened);
        return s;
    }

    @Override
    public String describe() { return anchor.toString(); }

    @Override
    public List<String> names() { return names; }

    @Override
    public boolean contains(String name) { return weightMap.containsKey(name); }

    /** The file holding {@code name}, or null if the checkpoint has no such tensor. */
    public Path shardOf(String name) { return weightMap.get(name); }

    /** The distinct shard files, in order of first appearance among the sorted names. */
    public Set<Path> shards() { return new LinkedHashSet<>(weightMap.values()); }

    @Override
    public TensorInfo info(String name) throws SafetensorsException {
        return shardFor(name).info(name);
    }

    @Override
    public Tensor tensor(String name) throws SafetensorsException {
        return shardFor(name).tensor(name);
    }

    private SafetensorsFile shardFor(String name) throws SafetensorsException {
        Path shard = weightMap.get(name);
        if (shard == null) throw SafetensorsException.tensor(anchor, name, "no such tensor in this checkpoint");
        SafetensorsFile f;
        synchronized (this) {
            if (closed) throw new IllegalStateException(anchor + " is closed");
            f = open.get(shard);
            if (f == null) {
                f = SafetensorsFile.open(shard);
                open.put(shard, f);
            }
        }
        if (!f.contains(name))
            throw SafetensorsException.tensor(anchor, name, "mapped to shard " + SafetensorsException.quote(shard.getFileName().toString())
                    + ", which has no such tensor");
        return f;
    }

    @Override
    public Map<String, String> metadata() { return metadata; }

    @Override
    public void close() {
        List<SafetensorsFile> toClose;
        synchronized (this) {
            if (closed) return;
            closed = true;
            toClose = new ArrayList<>(open.values());
            open.clear();
        }
        toClose.forEach(SafetensorsFile::close);
    }

    @Override
    public String toString() { return "ShardedSafetensors[" + anchor + ", " + names.size() + " tensors]"; }
}
