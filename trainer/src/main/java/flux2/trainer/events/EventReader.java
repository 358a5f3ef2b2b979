package flux2.trainer.events;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import flux2.tensor.io.StrictJson;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads an events file written by {@link EventLog} from a byte offset on, while it may still be growing: only
 * complete lines are returned (a line being written is left for the next read), and a line that is not JSON (half
 * a line left by a killed run) is skipped.
 */
public final class EventReader {
    private static final ObjectMapper JSON = StrictJson.mapper();

    private EventReader() {}

    /** The events read and the offset to continue from. */
    public record Chunk(List<JsonNode> events, long nextOffset) {}

    /** The complete lines of {@code file} from {@code offset} on; none when the file does not exist. */
    public static Chunk read(Path file, long offset) throws IOException {
        if (!Files.isRegularFile(file)) return new Chunk(List.of(), offset);
        List<JsonNode> out = new ArrayList<>();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (offset >= size) return new Chunk(out, offset);
            ByteBuffer b = ByteBuffer.allocate((int) Math.min(Integer.MAX_VALUE - 8, size - offset));
            while (b.hasRemaining() && ch.read(b, offset + b.position()) > 0) {
                // read until full or end of file
            }
            byte[] bytes = b.array();
            int n = b.position(), start = 0;
            for (int i = 0; i < n; i++) {
                if (bytes[i] != '\n') continue;
                String line = new String(bytes, start, i - start, StandardCharsets.UTF_8).strip();
                start = i + 1;
                if (line.isEmpty()) continue;
                try {
                    JsonNode e = JSON.readTree(line);
                    if (e != null && e.isObject()) out.add(e);
                } catch (JsonProcessingException skipped) {
                    // half a line of a killed run: EventLog starts the next run on a fresh line
                }
            }
            return new Chunk(out, offset + start);
        }
    }
}
