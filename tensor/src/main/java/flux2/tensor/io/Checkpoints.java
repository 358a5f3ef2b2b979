package flux2.tensor.io;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Opens whatever a user points at — a safetensors file, an index.json, or a folder — as one {@link TensorSource}. */
public final class Checkpoints {
    static final String INDEX_SUFFIX = ".index.json";
    static final String FILE_SUFFIX = ".safetensors";

    private Checkpoints() {}

    /**
     * A file ending in {@code .index.json} opens as a sharded checkpoint, any other file as one safetensors file.
     * A folder must hold exactly one {@code *.index.json} (used), or else one or more {@code *.safetensors}
     * files (combined; a name in two files is an error). Subfolders are not searched.
     */
    public static TensorSource open(Path fileOrFolder) throws SafetensorsException {
        if (Files.isDirectory(fileOrFolder)) return openFolder(fileOrFolder);
        if (!Files.exists(fileOrFolder)) throw new SafetensorsException(fileOrFolder, "no such file or folder");
        if (fileOrFolder.getFileName().toString().endsWith(INDEX_SUFFIX)) return ShardedSafetensors.open(fileOrFolder);
        return SafetensorsFile.open(fileOrFolder);
    }

    private static TensorSource openFolder(Path folder) throws SafetensorsException {
        List<Path> indexes = new ArrayList<>(), files = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(folder)) {
            for (Path p : ds) {
                String n = p.getFileName().toString();
                if (!Files.isRegularFile(p)) continue;
                if (n.endsWith(INDEX_SUFFIX)) indexes.add(p);
                else if (n.endsWith(FILE_SUFFIX)) files.add(p);
            }
        } catch (IOException e) {
            throw new SafetensorsException(folder, "cannot list folder: " + e, e);
        }
        indexes.sort(null);
        files.sort(null);
        if (indexes.size() > 1)
            throw new SafetensorsException(folder, "folder holds " + indexes.size() + " index files ("
                    + indexes.stream().map(p -> p.getFileName().toString()).toList() + "); name the one to use");
        if (indexes.size() == 1) return ShardedSafetensors.open(indexes.get(0));
        if (files.isEmpty()) throw new SafetensorsException(folder, "folder holds no *.safetensors file and no *.index.json");
        if (files.size() == 1) return SafetensorsFile.open(files.get(0));
        return ShardedSafetensors.ofFiles(folder, files);
    }
}
