package flux2.tensor.collective;

/** What an all-reduce computes over the ranks' tensors: their sum, or their average (the sum divided by the world size). */
public enum Reduction { SUM, AVG }
