package flux2.model.mistral.tokenizer;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * Byte-level BPE over token ids: a piece starts as its single-byte tokens, then the adjacent pair of lowest
 * priority (leftmost on ties) merges until no listed pair remains. Tekken gives a pair the rank of the merged
 * token (tiktoken's rule); tokenizer.json gives it the index of its merge line. A piece that is a token as a whole
 * is emitted directly (tiktoken, and tokenizer.json's ignore_merges).
 */
final class Bpe {
    private final Map<ByteKey, Integer> idOfBytes;
    private final int[] byteIds = new int[256];
    private final Map<Long, long[]> pairs;  // (left << 32 | right) -> {priority, merged id}

    Bpe(Map<ByteKey, Integer> idOfBytes, Map<Long, long[]> pairs) {
        this.idOfBytes = idOfBytes;
        this.pairs = pairs;
        for (int b = 0; b < 256; b++) {
            Integer id = idOfBytes.get(new ByteKey(new byte[]{(byte) b}));
            if (id == null) throw new IllegalArgumentException(String.format("vocabulary lacks the single byte 0x%02x", b));
            byteIds[b] = id;
        }
    }

    static long pairKey(int left, int right) { return ((long) left << 32) | (right & 0xffffffffL); }

    /** Appends the ids of one pre-tokenized piece. */
    void encode(byte[] piece, IntList out) {
        Integer whole = idOfBytes.get(new ByteKey(piece));
        if (whole != null) {
            out.add(whole);
            return;
        }
        int n = piece.length;
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) ids[i] = byteIds[piece[i] & 0xff];
        while (n > 1) {
            long best = Long.MAX_VALUE;
            int at = -1, merged = -1;
            for (int i = 0; i + 1 < n; i++) {
                long[] p = pairs.get(pairKey(ids[i], ids[i + 1]));
                if (p != null && p[0] < best) {
                    best = p[0];
                    at = i;
                    merged = (int) p[1];
                }
            }
            if (at < 0) break;
            ids[at] = merged;
            System.arraycopy(ids, at + 2, ids, at + 1, n - at - 2);
            n--;
        }
        for (int i = 0; i < n; i++) out.add(ids[i]);
    }

    /** Pair table of rank-ordered tokens: every split of a token into two tokens, with the token's rank. */
    static Map<Long, long[]> pairsFromRanks(byte[][] tokens, Map<ByteKey, Integer> idOfBytes, int idOffset) {
        Map<Long, long[]> out = new HashMap<>(tokens.length * 3);
        for (int rank = 0; rank < tokens.length; rank++) {
            byte[] t = tokens[rank];
            for (int s = 1; s < t.length; s++) {
                Integer l = idOfBytes.get(new ByteKey(Arrays.copyOfRange(t, 0, s)));
                if (l == null) continue;
                Integer r = idOfBytes.get(new ByteKey(Arrays.copyOfRange(t, s, t.length)));
                if (r == null) continue;
                out.putIfAbsent(pairKey(l, r), new long[]{rank, rank + idOffset});
            }
        }
        return out;
    }

    /** Bytes as a hash key. */
    record ByteKey(byte[] bytes) {
        @Override public boolean equals(Object o) { return o instanceof ByteKey k && Arrays.equals(bytes, k.bytes); }
        @Override public int hashCode() { return Arrays.hashCode(bytes); }
    }

    /** A growable int array. */
    static final class IntList {
        private int[] a = new int[64];
        private int n;

        void add(int v) {
            if (n == a.length) a = Arrays.copyOf(a, n * 2);
            a[n++] = v;
        }

        int[] toArray() { return Arrays.copyOf(a, n); }
    }
}
