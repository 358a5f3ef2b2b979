package flux2.trainer.cache;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

/** SHA-256 keys of cache entries and of the model files they were made with. */
public final class Hashing {
    private Hashing() {}

    /** Files above this size are identified by size, head and tail instead of their full content. */
    static final long FULL_HASH_LIMIT = 64L << 20;

    /** Hex SHA-256 of the given strings joined by a line break. */
    public static String sha256(String... parts) {
        MessageDigest md = digest();
        for (String p : parts) {
            md.update(p.getBytes(StandardCharsets.UTF_8));
            md.update((byte) '\n');
        }
        return HexFormat.of().formatHex(md.digest());
    }

    /**
     * The identity of model files (a file or every .json/.safetensors file under a folder): names, sizes and
     * content (head and tail for large files), so that other weights or another config give another key.
     */
    public static String modelIdentity(Path... roots) throws IOException {
        MessageDigest md = digest();
        for (Path root : roots) {
            List<Path> files;
            if (Files.isDirectory(root)) {
                Path dir = root.toRealPath(); // a folder that is a link (a shared model store) is walked, not taken as one file
                try (Stream<Path> s = Files.walk(dir)) {
                    files = s.filter(Files::isRegularFile).filter(p -> {
                        String n = p.getFileName().toString();
                        return n.endsWith(".json") || n.endsWith(".safetensors");
                    }).sorted().toList();
                }
            } else files = List.of(root);
            Path base = Files.isDirectory(root) ? root.toRealPath() : root;
            for (Path f : files) {
                md.update((base.relativize(f).toString() + "\n" + Files.size(f) + "\n").getBytes(StandardCharsets.UTF_8));
                feed(md, f);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    private static void feed(MessageDigest md, Path f) throws IOException {
        long size = Files.size(f);
        byte[] buf = new byte[1 << 16];
        try (InputStream in = Files.newInputStream(f)) {
            long limit = size <= FULL_HASH_LIMIT ? size : 4L << 20;
            long read = 0;
            for (int n; read < limit && (n = in.read(buf, 0, (int) Math.min(buf.length, limit - read))) > 0; read += n) md.update(buf, 0, n);
            if (size > FULL_HASH_LIMIT) {
                in.skipNBytes(size - read - (4L << 20));
                for (int n; (n = in.read(buf)) > 0; ) md.update(buf, 0, n);
            }
        }
    }

    private static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
