/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RFC 4656 §3.6 send schedules and the §5 exponential deviates.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "tw_crypto.h"
#include "tw_sched.h"

/* Uniform numbers are produced in batches: BATCH counter blocks are
 * encrypted in one ECB call (4 numbers each). */
#define BATCH 16u

/* RFC 4656 §5.2: Q[k] * 2^32, the exact values every implementation uses;
 * Q[0] is a placeholder. */
static const uint64_t q_tab[12] = {
	0,          0xB17217F8, 0xEEF193F7, 0xFD271862, 0xFF9D6DD0, 0xFFF4CFD0,
	0xFFFEE819, 0xFFFFE7FF, 0xFFFFFE2B, 0xFFFFFFE0, 0xFFFFFFFE, 0xFFFFFFFF,
};
#define LN2 0xB17217F8u
#define K_MAX 12u

struct tw_sched {
	EVP_CIPHER_CTX *aes;        /* AES-128-ECB keyed with the SID; NULL if no exp slot */
	uint8_t counter[16];        /* next counter block to encrypt (big endian) */
	uint8_t out[BATCH * 16];    /* encrypted counter blocks */
	unsigned pos;               /* next 32-bit number in out[] */
	uint64_t offset;            /* running sum of intervals, NTP units */
	uint64_t count;             /* packets produced */
	uint64_t period_ns;         /* tw_sched_create_periodic(): exact in ns */
	uint32_t next_slot;
	uint32_t n_slots;
	struct tw_owamp_slot slots[]; /* n_slots */
};

static void counter_add(uint8_t c[16], unsigned v)
{
	unsigned carry = v;

	for (int i = 15; i >= 0 && carry; i--) {
		carry += c[i];
		c[i] = (uint8_t)carry;
		carry >>= 8;
	}
}

/*
 * RFC 4656 §5.3 Algorithm Unif (Appendix A OWPunif_rand64): the counter
 * value c is encrypted when c mod 4 == 0 and its block yields four numbers,
 * so the encrypted blocks are those of counters 0, 4, 8, ...
 */
static int refill(struct tw_sched *s)
{
	uint8_t in[BATCH * 16];
	int outl = 0;

	for (unsigned b = 0; b < BATCH; b++) {
		memcpy(in + 16 * b, s->counter, 16);
		counter_add(s->counter, 4);
	}
	if (EVP_EncryptUpdate(s->aes, s->out, &outl, in, (int)sizeof(in)) != 1 ||
	    outl != (int)sizeof(in))
		return -1;
	s->pos = 0;
	return 0;
}

static uint64_t unif_rand(struct tw_sched *s)
{
	if (s->pos == BATCH * 4 && refill(s) != 0) {
		/* Cannot happen with a keyed ECB context; keep the stream
		 * defined rather than returning garbage. */
		memset(s->out, 0, sizeof(s->out));
		s->pos = 0;
	}
	return tw_get_be32(s->out + 4 * s->pos++);
}

/* RFC 4656 §5.1 Algorithm S with the §5.2 arithmetic (Appendix A
 * OWPexp_rand64): an exponential deviate of mean 1 in 32.32 fixed point. */
uint64_t tw_sched_exp_rand(struct tw_sched *s)
{
	uint64_t u, v, j_num;
	uint32_t j;
	unsigned k;

	if (s->aes == NULL)
		return 0;
	/* S1: locate the first zero bit, shift off j + 1 bits. */
	u = unif_rand(s);
	j = u == 0xFFFFFFFFu ? 32u : (uint32_t)__builtin_clz(~(uint32_t)u);
	u = (u << (j + 1)) & 0xFFFFFFFFu;
	j_num = (uint64_t)j << 32;
	/* S2: immediate acceptance (j = 32 lands here with u = 0: 32 ln2). */
	if (u < LN2)
		return tw_sched_mul(j_num, LN2) + u;
	/* S3: least k >= 2 with u < Q[k]; V = min of k uniforms. */
	for (k = 2; k < K_MAX; k++)
		if (u < q_tab[k])
			break;
	v = unif_rand(s);
	for (unsigned i = 2; i <= k; i++) {
		uint64_t t = unif_rand(s);

		if (t < v)
			v = t;
	}
	/* S4: (j + V) ln2. */
	return tw_sched_mul(j_num + v, LN2);
}

static void sched_restart(struct tw_sched *s)
{
	memset(s->counter, 0, sizeof(s->counter));
	s->pos = BATCH * 4;
	s->offset = 0;
	s->count = 0;
	s->next_slot = 0;
}

struct tw_sched *tw_sched_create(const uint8_t sid[TW_CTRL_SID_LEN],
				 const struct tw_owamp_slot *slots, uint32_t n)
{
	struct tw_sched *s;
	bool need_aes = false;

	if (slots == NULL || n == 0 || n > TW_SCHED_SLOTS_MAX) {
		errno = EINVAL;
		return NULL;
	}
	for (uint32_t i = 0; i < n; i++) {
		if (slots[i].type == TW_OWAMP_SLOT_EXP)
			need_aes = true;
		else if (slots[i].type != TW_OWAMP_SLOT_FIXED) {
			errno = EINVAL;
			return NULL;
		}
	}
	if (need_aes && sid == NULL) {
		errno = EINVAL;
		return NULL;
	}
	s = calloc(1, sizeof(*s) + (size_t)n * sizeof(s->slots[0]));
	if (s == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	memcpy(s->slots, slots, (size_t)n * sizeof(s->slots[0]));
	s->n_slots = n;
	if (need_aes) {
		s->aes = EVP_CIPHER_CTX_new();
		if (s->aes == NULL ||
		    EVP_EncryptInit_ex(s->aes, EVP_aes_128_ecb(), NULL, sid, NULL) != 1 ||
		    EVP_CIPHER_CTX_set_padding(s->aes, 0) != 1) {
			tw_sched_destroy(s);
			errno = EIO;
			return NULL;
		}
	}
	sched_restart(s);
	return s;
}

struct tw_sched *tw_sched_create_periodic(uint64_t interval_ns)
{
	struct tw_owamp_slot slot = {
		.type = TW_OWAMP_SLOT_FIXED,
		.parameter = tw_sched_ns_to_ntp(interval_ns),
	};
	struct tw_sched *s = tw_sched_create(NULL, &slot, 1);

	/* no wire format to agree with: keep the offsets exact in ns */
	if (s != NULL)
		s->period_ns = interval_ns;
	return s;
}

struct tw_sched *tw_sched_create_poisson(const uint8_t sid[TW_CTRL_SID_LEN],
					 uint64_t mean_ns)
{
	struct tw_owamp_slot slot = {
		.type = TW_OWAMP_SLOT_EXP,
		.parameter = tw_sched_ns_to_ntp(mean_ns),
	};

	return tw_sched_create(sid, &slot, 1);
}

void tw_sched_destroy(struct tw_sched *s)
{
	if (s == NULL)
		return;
	EVP_CIPHER_CTX_free(s->aes); /* wipes the key schedule */
	tw_crypto_wipe(s, sizeof(*s));
	free(s);
}

void tw_sched_reset(struct tw_sched *s)
{
	sched_restart(s);
}

uint64_t tw_sched_next_interval(struct tw_sched *s)
{
	const struct tw_owamp_slot *slot = &s->slots[s->next_slot];
	uint64_t iv;

	if (++s->next_slot == s->n_slots)
		s->next_slot = 0;
	if (slot->type == TW_OWAMP_SLOT_FIXED)
		iv = slot->parameter;
	else
		iv = tw_sched_mul(tw_sched_exp_rand(s), slot->parameter);
	s->offset += iv;
	s->count++;
	return iv;
}

uint64_t tw_sched_next_ntp(struct tw_sched *s)
{
	tw_sched_next_interval(s);
	return s->offset;
}

uint64_t tw_sched_next(struct tw_sched *s)
{
	if (s->period_ns != 0) {
		tw_sched_next_interval(s);
		return s->count * s->period_ns;
	}
	return tw_sched_ntp_to_ns(tw_sched_next_ntp(s));
}

uint64_t tw_sched_count(const struct tw_sched *s)
{
	return s->count;
}

uint64_t tw_sched_ns_to_ntp(uint64_t ns)
{
	unsigned __int128 v = ((unsigned __int128)ns << 32) + 500000000u;

	return (uint64_t)(v / 1000000000u);
}

uint64_t tw_sched_ntp_to_ns(uint64_t ntp)
{
	return (uint64_t)(((unsigned __int128)ntp * 1000000000u + (1u << 31)) >> 32);
}
