//! An int8 linear layer for the encoder's dense layers: `y = x Wᵀ + b` with the weights
//! quantised per output channel to s8 at load, each input row quantised on the fly to u8 with
//! its own scale and zero point, products summed exactly in i32 and dequantised to f32.
//!
//! On x86-64 with AVX-512 VNNI the products run in a blocked micro-kernel on `vpdpbusd`
//! (u8 × s8, four products summed into each i32 lane): weights packed in groups of 4 inputs
//! × 32 outputs, 8 rows × 32 outputs held in 16 registers. Elsewhere a portable loop computes
//! the same integers, and the same floating-point steps dequantise them, so both give
//! bit-identical outputs (tested below); only the speed differs.
//!
//! Row tiles are spread over rayon's pool: inside a report labelled on a rayon worker the
//! other core picks up tiles when it is idle, without oversubscribing the cores.

use rayon::prelude::*;

/// Outputs per panel of packed weights (two AVX-512 registers of 16 i32 lanes).
const PANEL: usize = 32;
/// Rows per register block of the micro-kernel.
const ROWS: usize = 8;
/// Rows per task handed to rayon.
const ROWS_PER_TASK: usize = 64;

/// Whether this CPU runs the VNNI micro-kernel.
pub fn vnni_available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        is_x86_feature_detected!("avx512f")
            && is_x86_feature_detected!("avx512bw")
            && is_x86_feature_detected!("avx512vnni")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Σ a·b over u8 × i8, exactly, in i32 (as i16 products summed in pairs, which compilers turn
/// into `pmaddwd`).
#[inline(always)]
fn dot_u8_i8(a: &[u8], b: &[i8]) -> i32 {
    a.iter()
        .zip(b)
        .map(|(&x, &w)| i32::from(x as i16 * w as i16))
        .sum()
}

/// Environment variable that, set to `portable`, makes [`Kernel::best`] choose the portable
/// loop. Both give the same numbers; only speed differs.
pub const KERNEL_ENV: &str = "OFSTED_THEMES_INT8_KERNEL";

/// Which loop multiplies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kernel {
    /// Portable Rust (any CPU).
    Portable,
    /// AVX-512 VNNI micro-kernel (x86-64 only; checked at construction).
    Vnni,
}

impl Kernel {
    /// The fastest kernel this CPU runs, unless [`KERNEL_ENV`] is `portable` (to measure
    /// the portable loop on a CPU that has VNNI).
    pub fn best() -> Kernel {
        let forced_portable = std::env::var(KERNEL_ENV).is_ok_and(|v| v == "portable");
        if vnni_available() && !forced_portable {
            Kernel::Vnni
        } else {
            Kernel::Portable
        }
    }
}

/// A linear layer with int8 weights.
pub struct Int8Linear {
    /// Inputs and outputs.
    k: usize,
    n: usize,
    /// Inputs rounded up to a multiple of 4 (one `vpdpbusd` group).
    k_pad: usize,
    /// Outputs rounded up to a multiple of [`PANEL`].
    n_pad: usize,
    /// Vnni: panels of [k_pad / 4][PANEL][4] bytes; Portable: row-major [n][k_pad].
    weights: Vec<i8>,
    /// Per output: the weight scale, the sum of its quantised weights, its bias (0 beyond n).
    scales: Vec<f32>,
    column_sums: Vec<i32>,
    bias: Vec<f32>,
    kernel: Kernel,
}

/// Input rows quantised to u8: `x ≈ scale · (q − zero)`.
struct QuantisedRows {
    data: Vec<u8>,
    scales: Vec<f32>,
    zeros: Vec<i32>,
}

impl Int8Linear {
    /// `weight`: row-major (n outputs, k inputs); `bias`: n. Uses the fastest kernel.
    pub fn new(weight: &[f32], bias: &[f32], n: usize, k: usize) -> Int8Linear {
        Int8Linear::with_kernel(weight, bias, n, k, Kernel::best())
    }

    /// [`Int8Linear::new`] with a chosen kernel; `Vnni` falls back to `Portable` where the CPU
    /// lacks it.
    pub fn with_kernel(
        weight: &[f32],
        bias: &[f32],
        n: usize,
        k: usize,
        kernel: Kernel,
    ) -> Int8Linear {
        assert_eq!(weight.len(), n * k, "weight is not {n} x {k}");
        assert_eq!(bias.len(), n, "bias is not {n} long");
        let kernel = if kernel == Kernel::Vnni && !vnni_available() {
            Kernel::Portable
        } else {
            kernel
        };
        let k_pad = k.div_ceil(4) * 4;
        let n_pad = n.div_ceil(PANEL) * PANEL;
        let mut quantised = vec![0i8; n * k_pad];
        let mut scales = vec![0f32; n_pad];
        let mut column_sums = vec![0i32; n_pad];
        let mut bias_pad = vec![0f32; n_pad];
        for o in 0..n {
            let row = &weight[o * k..(o + 1) * k];
            let max = row.iter().fold(0f32, |m, x| m.max(x.abs()));
            let scale = if max > 0.0 { max / 127.0 } else { 1.0 };
            let inverse = 1.0 / scale;
            let out = &mut quantised[o * k_pad..o * k_pad + k];
            for (q, x) in out.iter_mut().zip(row) {
                *q = (x * inverse).round_ties_even().clamp(-127.0, 127.0) as i8;
            }
            scales[o] = scale;
            column_sums[o] = out.iter().map(|&q| q as i32).sum();
            bias_pad[o] = bias[o];
        }
        let weights = match kernel {
            Kernel::Portable => quantised,
            Kernel::Vnni => {
                let groups = k_pad / 4;
                let mut packed = vec![0i8; n_pad * k_pad];
                for o in 0..n {
                    let (panel, column) = (o / PANEL, o % PANEL);
                    for g in 0..groups {
                        for j in 0..4 {
                            packed[panel * groups * PANEL * 4 + g * PANEL * 4 + column * 4 + j] =
                                quantised[o * k_pad + g * 4 + j];
                        }
                    }
                }
                packed
            }
        };
        Int8Linear {
            k,
            n,
            k_pad,
            n_pad,
            weights,
            scales,
            column_sums,
            bias: bias_pad,
            kernel,
        }
    }

    /// Outputs per row.
    pub fn outputs(&self) -> usize {
        self.n
    }

    pub fn kernel(&self) -> Kernel {
        self.kernel
    }

    /// `x`: row-major (m, k). Returns row-major (m, n).
    pub fn forward(&self, x: &[f32], m: usize) -> Vec<f32> {
        assert_eq!(x.len(), m * self.k, "input is not {m} x {}", self.k);
        let rows = self.quantise_rows(x, m);
        let mut out = vec![0f32; m * self.n];
        if m == 0 || self.n == 0 {
            return out;
        }
        out.par_chunks_mut(ROWS_PER_TASK * self.n)
            .enumerate()
            .for_each(|(task, out)| {
                let first = task * ROWS_PER_TASK;
                let count = out.len() / self.n;
                match self.kernel {
                    Kernel::Portable => self.portable(&rows, first, count, out),
                    #[cfg(target_arch = "x86_64")]
                    // SAFETY: a Vnni layer is only built where the CPU has the features.
                    Kernel::Vnni => unsafe { self.vnni(&rows, first, count, out) },
                    #[cfg(not(target_arch = "x86_64"))]
                    Kernel::Vnni => unreachable!("VNNI is x86-64 only"),
                }
            });
        out
    }

    fn quantise_rows(&self, x: &[f32], m: usize) -> QuantisedRows {
        let mut data = vec![0u8; m * self.k_pad];
        let mut scales = vec![0f32; m];
        let mut zeros = vec![0i32; m];
        data.par_chunks_mut(self.k_pad.max(1) * ROWS_PER_TASK)
            .zip(scales.par_chunks_mut(ROWS_PER_TASK))
            .zip(zeros.par_chunks_mut(ROWS_PER_TASK))
            .enumerate()
            .for_each(|(task, ((data, scales), zeros))| {
                for (r, (scale, zero)) in scales.iter_mut().zip(zeros.iter_mut()).enumerate() {
                    let row = task * ROWS_PER_TASK + r;
                    let input = &x[row * self.k..(row + 1) * self.k];
                    let (lo, hi) = input
                        .iter()
                        .fold((0f32, 0f32), |(lo, hi), &v| (lo.min(v), hi.max(v)));
                    let s = if hi > lo { (hi - lo) / 255.0 } else { 1.0 };
                    let inverse = 1.0 / s;
                    let z = (-lo * inverse).round_ties_even().clamp(0.0, 255.0);
                    let out = &mut data[r * self.k_pad..r * self.k_pad + self.k];
                    for (q, v) in out.iter_mut().zip(input) {
                        // Round to nearest by the 1.5 · 2^23 trick: a libm call otherwise.
                        let y = (v * inverse + z).clamp(0.0, 255.0);
                        *q = ((y + 12_582_912.0) - 12_582_912.0) as u8;
                    }
                    // Padding inputs meet zero weights: any value will do; keep them 0.
                    *scale = s;
                    *zero = z as i32;
                }
            });
        QuantisedRows {
            data,
            scales,
            zeros,
        }
    }

    /// The dequantisation both kernels share, so that they agree to the bit.
    #[inline(always)]
    fn dequantise(&self, sum: i32, zero: i32, row_scale: f32, o: usize) -> f32 {
        let exact = sum - zero * self.column_sums[o];
        exact as f32 * (row_scale * self.scales[o]) + self.bias[o]
    }

    /// The portable loop, compiled for AVX2 where the CPU has it (the same integers, faster
    /// than the baseline x86-64 build of the same code; docs/speed.md has the figures).
    fn portable(&self, rows: &QuantisedRows, first: usize, count: usize, out: &mut [f32]) {
        #[cfg(target_arch = "x86_64")]
        if is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2, checked just above.
            unsafe { self.portable_avx2(rows, first, count, out) };
            return;
        }
        self.portable_loop(rows, first, count, out);
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn portable_avx2(
        &self,
        rows: &QuantisedRows,
        first: usize,
        count: usize,
        out: &mut [f32],
    ) {
        self.portable_loop(rows, first, count, out);
    }

    /// Four outputs at a time, so each input row is read once per four.
    #[inline(always)]
    fn portable_loop(&self, rows: &QuantisedRows, first: usize, count: usize, out: &mut [f32]) {
        let k = self.k_pad;
        for r in 0..count {
            let row = first + r;
            let input = &rows.data[row * k..(row + 1) * k];
            let mut o = 0;
            while o < self.n {
                let group = (self.n - o).min(4);
                let mut sums = [0i32; 4];
                for (g, sum) in sums.iter_mut().enumerate().take(group) {
                    let weights = &self.weights[(o + g) * k..(o + g + 1) * k];
                    *sum = dot_u8_i8(input, weights);
                }
                for (g, &sum) in sums.iter().enumerate().take(group) {
                    out[r * self.n + o + g] =
                        self.dequantise(sum, rows.zeros[row], rows.scales[row], o + g);
                }
                o += group;
            }
        }
    }

    /// Rows `first..first + count` into `out` ((count, n), row-major).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
    unsafe fn vnni(&self, rows: &QuantisedRows, first: usize, count: usize, out: &mut [f32]) {
        let panels = self.n_pad / PANEL;
        for panel in 0..panels {
            let mut r = 0;
            while r < count {
                let block = (count - r).min(ROWS);
                // SAFETY: rows first + r .. + block exist, and the panel lies in the weights.
                unsafe {
                    match block {
                        8 => self.vnni_block::<8>(rows, first, r, panel, out),
                        7 => self.vnni_block::<7>(rows, first, r, panel, out),
                        6 => self.vnni_block::<6>(rows, first, r, panel, out),
                        5 => self.vnni_block::<5>(rows, first, r, panel, out),
                        4 => self.vnni_block::<4>(rows, first, r, panel, out),
                        3 => self.vnni_block::<3>(rows, first, r, panel, out),
                        2 => self.vnni_block::<2>(rows, first, r, panel, out),
                        _ => self.vnni_block::<1>(rows, first, r, panel, out),
                    }
                }
                r += block;
            }
        }
    }

    /// R rows (from `first + r`) × one panel of 32 outputs, accumulated in 2R registers.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
    #[inline]
    unsafe fn vnni_block<const R: usize>(
        &self,
        rows: &QuantisedRows,
        first: usize,
        r: usize,
        panel: usize,
        out: &mut [f32],
    ) {
        use std::arch::x86_64::*;
        let groups = self.k_pad / 4;
        let weights = self.weights.as_ptr().add(panel * groups * PANEL * 4);
        let input = rows.data.as_ptr().add((first + r) * self.k_pad);
        let mut acc = [[_mm512_setzero_si512(); 2]; R];
        for g in 0..groups {
            let w0 = _mm512_loadu_si512(weights.add(g * PANEL * 4) as *const _);
            let w1 = _mm512_loadu_si512(weights.add(g * PANEL * 4 + 64) as *const _);
            for (i, acc) in acc.iter_mut().enumerate() {
                let a = (input.add(i * self.k_pad + g * 4) as *const i32).read_unaligned();
                let a = _mm512_set1_epi32(a);
                acc[0] = _mm512_dpbusd_epi32(acc[0], a, w0);
                acc[1] = _mm512_dpbusd_epi32(acc[1], a, w1);
            }
        }
        for (i, acc) in acc.iter().enumerate() {
            let row = first + r + i;
            let zero = _mm512_set1_epi32(rows.zeros[row]);
            let row_scale = _mm512_set1_ps(rows.scales[row]);
            for (half, &sum) in acc.iter().enumerate() {
                let o = panel * PANEL + half * 16;
                if o >= self.n {
                    break;
                }
                let sums = _mm512_loadu_si512(self.column_sums.as_ptr().add(o) as *const _);
                let exact = _mm512_sub_epi32(sum, _mm512_mullo_epi32(zero, sums));
                let scales = _mm512_mul_ps(row_scale, _mm512_loadu_ps(self.scales.as_ptr().add(o)));
                let y = _mm512_add_ps(
                    _mm512_mul_ps(_mm512_cvtepi32_ps(exact), scales),
                    _mm512_loadu_ps(self.bias.as_ptr().add(o)),
                );
                let valid = (self.n - o).min(16);
                let mask: __mmask16 = if valid == 16 {
                    0xffff
                } else {
                    (1u16 << valid) - 1
                };
                _mm512_mask_storeu_ps(out.as_mut_ptr().add((r + i) * self.n + o), mask, y);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Deterministic pseudo-random values in [-1, 1).
    fn values(count: usize, seed: u64) -> Vec<f32> {
        let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        (0..count)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state >> 40) as f32 / (1u64 << 23) as f32 - 1.0
            })
            .collect()
    }

    fn reference(x: &[f32], w: &[f32], b: &[f32], m: usize, n: usize, k: usize) -> Vec<f32> {
        let mut out = vec![0f32; m * n];
        for r in 0..m {
            for o in 0..n {
                let dot: f32 = (0..k).map(|i| x[r * k + i] * w[o * k + i]).sum();
                out[r * n + o] = dot + b[o];
            }
        }
        out
    }

    #[test]
    fn close_to_the_f32_product() {
        let (m, n, k) = (13, 40, 24);
        let (x, w, b) = (values(m * k, 1), values(n * k, 2), values(n, 3));
        let exact = reference(&x, &w, &b, m, n, k);
        let layer = Int8Linear::with_kernel(&w, &b, n, k, Kernel::Portable);
        let got = layer.forward(&x, m);
        let worst = exact
            .iter()
            .zip(&got)
            .map(|(a, b)| (a - b).abs())
            .fold(0f32, f32::max);
        // Each of the 24 products is off by about 1% of its inputs' ranges at most.
        assert!(worst < 0.1, "worst error {worst}");
    }

    #[test]
    fn kernels_agree_to_the_bit() {
        // Odd sizes: rows not a multiple of 8 or 64, outputs not of 32, inputs not of 4.
        for (m, n, k) in [(1, 1, 1), (7, 33, 5), (70, 50, 18), (130, 64, 384)] {
            let (x, w, b) = (values(m * k, 4), values(n * k, 5), values(n, 6));
            let portable = Int8Linear::with_kernel(&w, &b, n, k, Kernel::Portable);
            let fast = Int8Linear::with_kernel(&w, &b, n, k, Kernel::Vnni);
            let (a, c) = (portable.forward(&x, m), fast.forward(&x, m));
            assert_eq!(a.len(), m * n);
            assert!(
                a.iter().zip(&c).all(|(p, q)| p.to_bits() == q.to_bits()),
                "{m}x{n}x{k} with {:?}",
                fast.kernel()
            );
        }
    }

    #[test]
    fn no_rows_no_output() {
        let layer = Int8Linear::new(&[0.5, -0.5], &[1.0], 1, 2);
        assert!(layer.forward(&[], 0).is_empty());
        assert_eq!(layer.forward(&[0.0, 0.0], 1), vec![1.0]);
    }
}
