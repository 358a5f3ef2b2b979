package flux2.model.mistral;

import flux2.model.mistral.tokenizer.TekkenTokenizer;
import flux2.tensor.Tensor;
import java.util.List;

/**
 * The FLUX.2 prompt tokens: {@code <s>[SYSTEM_PROMPT]{system}[/SYSTEM_PROMPT][INST]{prompt}[/INST]} with
 * {@code [IMG]} removed from the prompt and special-token strings in it mapped to their control ids, truncated to
 * the first {@code length} ids and left-padded with {@code <pad>}.
 */
public final class FluxPromptTokenizer {
    /** FLUX.2's system message, byte for byte (a newline before "attribution", none at the end). */
    public static final String SYSTEM_MESSAGE = "You are an AI that reasons about image descriptions. You give structured "
            + "responses focusing on object relationships, object\nattribution and actions without speculation.";

    /** Sequence length FLUX.2 feeds the text encoder. */
    public static final int LENGTH = 512;

    private final TekkenTokenizer tokenizer;
    private final int length, pad;

    public FluxPromptTokenizer(TekkenTokenizer tokenizer) { this(tokenizer, LENGTH); }

    public FluxPromptTokenizer(TekkenTokenizer tokenizer, int length) {
        if (length <= 0) throw new IllegalArgumentException("sequence length must be positive, got " + length);
        this.tokenizer = tokenizer;
        this.length = length;
        this.pad = tokenizer.specialId("<pad>");
    }

    public TekkenTokenizer tokenizer() { return tokenizer; }

    /** Ids [B, length] and attention mask [B, length] (1 on real tokens) as int arrays and I64 tensors. */
    public record Tokens(int[][] ids, int[][] attentionMask) {
        public Tensor idsTensor() { return longs(ids); }

        public Tensor maskTensor() { return longs(attentionMask); }

        private static Tensor longs(int[][] rows) {
            int b = rows.length, l = b == 0 ? 0 : rows[0].length;
            long[] flat = new long[b * l];
            for (int i = 0; i < b; i++) for (int j = 0; j < l; j++) flat[i * l + j] = rows[i][j];
            return Tensor.ofLongs(flat, b, l);
        }
    }

    /** The rendered chat text of one prompt. */
    public static String render(String prompt) {
        return "<s>[SYSTEM_PROMPT]" + SYSTEM_MESSAGE + "[/SYSTEM_PROMPT][INST]" + prompt.replace("[IMG]", "") + "[/INST]";
    }

    public Tokens tokenize(List<String> prompts) {
        int[][] ids = new int[prompts.size()][], mask = new int[prompts.size()][];
        for (int b = 0; b < prompts.size(); b++) {
            int[] real = tokenizer.encode(render(prompts.get(b)), true);
            int n = Math.min(real.length, length), pads = length - n;
            ids[b] = new int[length];
            mask[b] = new int[length];
            java.util.Arrays.fill(ids[b], 0, pads, pad);
            System.arraycopy(real, 0, ids[b], pads, n);
            java.util.Arrays.fill(mask[b], pads, length, 1);
        }
        return new Tokens(ids, mask);
    }
}
