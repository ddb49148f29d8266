/* The bench-pre kernels (kernels.c), built natively and for eBPF. */
#ifndef PQ_BENCH_PRE_KERNELS_H
#define PQ_BENCH_PRE_KERNELS_H

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;

u64 k_checksum(const u8 *p, u64 len);
u64 k_gf_init(void);
u64 k_gf_mac(u8 *p, u64 len);
u64 k_sort(const u8 *p, u64 len);
u64 k_hash_init(void);
u64 k_hash(const u8 *p, u64 len);

#endif
