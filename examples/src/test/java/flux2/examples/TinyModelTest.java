package flux2.examples;

import static org.junit.jupiter.api.Assertions.*;

import flux2.model.mistral.FluxPromptTokenizer;
import flux2.model.mistral.tokenizer.TekkenTokenizer;
import flux2.model.mistral.tokenizer.Tokenizers;
import flux2.trainer.config.ModelLocation;
import flux2.examples.shapes.Shapes;
import flux2.trainer.models.ModelParts;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TinyModelTest {
    @TempDir Path dir;

    @Test
    void everyDatasetPromptFitsThePromptLengthAndItsWordsAreSingleTokens() throws Exception {
        TinyModel.writeTokenizer(dir);
        TekkenTokenizer tok = Tokenizers.read(dir.resolve("tekken.json"));
        assertEquals(TinyModel.VOCAB, tok.vocabSize());
        ModelLocation loc = new ModelLocation("tiny", dir, dir, dir, dir);
        assertEquals(TinyModel.PROMPT_LENGTH, ModelParts.promptLength(loc));
        List<String> prompts = new ArrayList<>(Shapes.heldOutPrompts());
        prompts.add(Shapes.newWordPrompt());
        for (String p : prompts) {
            int n = tok.encode(FluxPromptTokenizer.render(p), true).length;
            assertTrue(n <= TinyModel.PROMPT_LENGTH, p + " takes " + n + " tokens");
        }
        assertEquals(1, tok.encode(" background", false).length);
        assertEquals(1, tok.encode(" purple", false).length);
        assertEquals(" zorblax".length(), tok.encode(" zorblax", false).length, "the new word is unknown: one token per byte");
    }

    @Test
    void promptLengthIsFlux2sUnlessTheTokenizerAsksForFewer() throws Exception {
        ModelLocation loc = new ModelLocation("tiny", dir, dir, dir, dir);
        assertEquals(FluxPromptTokenizer.LENGTH, ModelParts.promptLength(loc), "no tokenizer_config.json");
        // Mistral's own tokenizer_config.json names a huge model_max_length
        java.nio.file.Files.writeString(dir.resolve(ModelParts.TOKENIZER_CONFIG), "{\"model_max_length\": 1000000000000000019884624838656}");
        assertEquals(FluxPromptTokenizer.LENGTH, ModelParts.promptLength(loc));
        java.nio.file.Files.writeString(dir.resolve(ModelParts.TOKENIZER_CONFIG), "{\"model_max_length\": 0}");
        var e = assertThrows(java.io.IOException.class, () -> ModelParts.promptLength(loc));
        assertTrue(e.getMessage().contains("model_max_length"), e.getMessage());
    }
}
