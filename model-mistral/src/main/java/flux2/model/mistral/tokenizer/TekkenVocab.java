package flux2.model.mistral.tokenizer;

/**
 * A Tekken vocabulary as read from a tekken file: control token names (ids 0..n-1), the byte strings of the used
 * ranks (rank r has id n + r) and the pre-tokenizer regex.
 */
record TekkenVocab(String[] specials, byte[][] ranks, String pattern) {
    int vocabSize() { return specials.length + ranks.length; }
}
