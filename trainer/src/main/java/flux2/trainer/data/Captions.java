package flux2.trainer.data;

import flux2.tensor.io.Utf8Files;
import flux2.trainer.config.DatasetConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The captions of one image by SimpleTuner's caption_strategy (filename, textfile, instanceprompt). */
public final class Captions {
    private Captions() {}

    /** The image's captions (several for a multi-line text file); throws IOException when its caption file is missing or not UTF-8. */
    public static List<String> of(Path image, DatasetConfig d) throws IOException {
        if (d.onlyInstancePrompt() || d.captionStrategy() == DatasetConfig.CaptionStrategy.INSTANCEPROMPT)
            return d.instancePrompt().stream().map(String::strip).toList();
        List<String> captions = switch (d.captionStrategy()) {
            case FILENAME -> List.of(fromFilename(image));
            case TEXTFILE -> fromTextFile(image, !d.disableMultilineSplit());
            case INSTANCEPROMPT -> throw new IllegalStateException("handled above");
        };
        if (!d.prependInstancePrompt()) return captions;
        String prefix = d.instancePrompt().getFirst();
        return captions.stream().map(c -> prefix + " " + c).toList();
    }

    /** SimpleTuner's filename caption: the file name without its extension, underscores read as spaces. */
    public static String fromFilename(Path image) {
        String name = image.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return (dot > 0 ? name.substring(0, dot) : name).replace('_', ' ');
    }

    /** The sibling .txt file's text; each non-empty line is a caption unless splitting is disabled. */
    public static List<String> fromTextFile(Path image, boolean splitLines) throws IOException {
        String name = image.getFileName().toString();
        int dot = name.lastIndexOf('.');
        Path txt = image.resolveSibling((dot > 0 ? name.substring(0, dot) : name) + ".txt");
        if (!Files.isRegularFile(txt)) throw new IOException("caption file " + txt + " not found");
        String text = Utf8Files.read(txt); // a caption in another encoding is an error naming its file, not "Input length = 1"
        if (!splitLines) return List.of(text.strip());
        List<String> out = new ArrayList<>();
        for (String line : text.split("\n")) if (!line.isBlank()) out.add(line.strip());
        if (out.isEmpty()) throw new IOException("caption file " + txt + " is empty");
        return out;
    }
}
