/**
 * Zipf-distributed ranks by rejection-inversion (W. Hörmann, G. Derflinger, "Rejection-inversion
 * to generate variates from monotone discrete distributions", 1996), as in Apache Commons RNG.
 * Constant memory and O(1) expected time per sample, so 10^7 keys need no probability table.
 */

/**
 * log1p(x)/x, continued smoothly through x = 0 where the quotient is 0/0.
 */
function helper1(x: number): number {
  return Math.abs(x) > 1e-8 ? Math.log1p(x) / x : 1 - x * (0.5 - x * (1 / 3 - 0.25 * x));
}

/** expm1(x)/x, continued smoothly through x = 0. */
function helper2(x: number): number {
  return Math.abs(x) > 1e-8 ? Math.expm1(x) / x : 1 + x * 0.5 * (1 + (x / 3) * (1 + 0.25 * x));
}

/**
 * Samples ranks in [0, n) with P(rank = k) proportional to 1 / (k + 1)^s; rank 0 is the most
 * frequent. The exponent s may be 0 (uniform) or any finite positive value.
 */
export class ZipfSampler {
  readonly n: number;
  readonly exponent: number;
  private readonly hX1: number;
  private readonly hN: number;
  private readonly squeeze: number;

  constructor(n: number, exponent: number) {
    if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`Zipf element count must be a positive integer, got ${n}`);
    if (!Number.isFinite(exponent) || exponent < 0) throw new RangeError(`Zipf exponent must be finite and >= 0, got ${exponent}`);
    this.n = n;
    this.exponent = exponent;
    this.hX1 = this.hIntegral(1.5) - 1;
    this.hN = this.hIntegral(n + 0.5);
    this.squeeze = 2 - this.hIntegralInverse(this.hIntegral(2.5) - this.h(2));
  }

  /**
   * One rejection-inversion attempt for a uniform u in [0, 1): the rank, or -1 when the attempt is
   * rejected and the caller must retry with a fresh uniform. Split out so that counter-based
   * generators can feed attempt-numbered uniforms without allocating a closure per sample.
   */
  tryRank(u: number): number {
    const hu = this.hN + u * (this.hX1 - this.hN);
    const x = this.hIntegralInverse(hu);
    let k = Math.floor(x + 0.5);
    if (k < 1) k = 1;
    else if (k > this.n) k = this.n;
    if (k - x <= this.squeeze || hu >= this.hIntegral(k + 0.5) - this.h(k)) return k - 1;
    return -1;
  }

  /** Draws a rank, calling `uniform` (values in [0, 1)) once per attempt. */
  sample(uniform: () => number): number {
    for (;;) {
      const k = this.tryRank(uniform());
      if (k >= 0) return k;
    }
  }

  /** H(x) = ((x^(1-s)) - 1) / (1 - s), or log(x) when s = 1: an integral of h. */
  private hIntegral(x: number): number {
    const logX = Math.log(x);
    return helper2((1 - this.exponent) * logX) * logX;
  }

  /** h(x) = x^-s, the unnormalised density that dominates the probabilities. */
  private h(x: number): number {
    return Math.exp(-this.exponent * Math.log(x));
  }

  private hIntegralInverse(x: number): number {
    let t = x * (1 - this.exponent);
    // Rounding can push t below -1 for large n, where log1p would return NaN.
    if (t < -1) t = -1;
    return Math.exp(helper1(t) * x);
  }
}
