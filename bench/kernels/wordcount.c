/* Word count with an open-addressing hash table. A fixed vocabulary of 5000
 * pseudo-random lowercase words (2 to 13 letters) comes from a xorshift
 * generator; the text is `scale` thousand words drawn from it (skewed towards
 * the first words), separated by single spaces. The text is produced in chunks
 * of 4096 words into one reused buffer, like a stream being read, and each
 * chunk is tokenised and every word counted in a linear-probing table keyed by
 * the word's bytes (FNV-1a hash); the table copies each new key into its own
 * arena. The checksum combines the distinct word count with every
 * (hash, count) pair. Default 4000 (4 million words, about 34 MB of text). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define WC_VOCAB 5000u
#define WC_MAX_LEN 13u
#define WC_CHUNK_WORDS 4096u
#define WC_TABLE_BITS 14u /* 16384 slots, load factor below 0.31 */

typedef struct {
  uint64_t hash;
  uint32_t key; /* offset of the key in the arena */
  uint32_t len; /* 0 = empty slot */
  uint32_t count;
} wc_entry;

typedef struct {
  wc_entry* slots;
  char* arena;
  size_t arena_used;
  size_t arena_cap;
  uint32_t distinct;
} wc_table;

static uint64_t wc_next(uint64_t* s) {
  uint64_t x = *s;
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  *s = x;
  return x;
}

static uint64_t wc_hash(const char* p, size_t len) {
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < len; ++i) h = (h ^ (uint8_t)p[i]) * 1099511628211ull;
  return h;
}

/* Adds one occurrence of word [p, p + len); 0 if the table is full. */
static int wc_add(wc_table* t, const char* p, size_t len) {
  const size_t mask = ((size_t)1 << WC_TABLE_BITS) - 1;
  uint64_t h = wc_hash(p, len);
  size_t slot = (size_t)h & mask;
  for (size_t probe = 0; probe <= mask; ++probe) {
    wc_entry* e = &t->slots[slot];
    if (e->len == 0) {
      if (t->arena_used + len > t->arena_cap) return 0;
      memcpy(t->arena + t->arena_used, p, len);
      e->hash = h;
      e->key = (uint32_t)t->arena_used;
      e->len = (uint32_t)len;
      e->count = 1;
      t->arena_used += len;
      ++t->distinct;
      return 1;
    }
    if (e->hash == h && e->len == len && memcmp(t->arena + e->key, p, len) == 0) {
      ++e->count;
      return 1;
    }
    slot = (slot + 1) & mask;
  }
  return 0;
}

uint64_t kernel_wordcount(uint32_t scale) {
  size_t words = (size_t)(scale ? scale : 1) * 1000;
  uint64_t rng = 0x2545f4914f6cdd1dull;

  char* vocab = malloc(WC_VOCAB * WC_MAX_LEN);
  uint32_t* vstart = malloc(WC_VOCAB * sizeof(uint32_t));
  uint8_t* vlen = malloc(WC_VOCAB);
  char* text = malloc(WC_CHUNK_WORDS * (WC_MAX_LEN + 1));
  wc_table t = {calloc((size_t)1 << WC_TABLE_BITS, sizeof(wc_entry)),
                malloc(WC_VOCAB * WC_MAX_LEN), 0, WC_VOCAB * WC_MAX_LEN, 0};
  uint64_t sum = 0;
  if (!vocab || !vstart || !vlen || !text || !t.slots || !t.arena) goto out;

  size_t vpos = 0;
  for (uint32_t v = 0; v < WC_VOCAB; ++v) {
    uint32_t len = 2 + (uint32_t)(wc_next(&rng) % (WC_MAX_LEN - 1));
    vstart[v] = (uint32_t)vpos;
    vlen[v] = (uint8_t)len;
    for (uint32_t i = 0; i < len; ++i) vocab[vpos++] = (char)('a' + wc_next(&rng) % 26);
  }

  for (size_t done = 0; done < words;) {
    /* Produce a chunk: the product of two uniform draws skews towards small
     * vocabulary indices. */
    size_t chunk = words - done < WC_CHUNK_WORDS ? words - done : WC_CHUNK_WORDS;
    size_t tlen = 0;
    for (size_t w = 0; w < chunk; ++w) {
      uint64_t r = wc_next(&rng);
      uint32_t v = (uint32_t)(((r >> 32) % WC_VOCAB) * ((r & 0xffffffffu) % WC_VOCAB) / WC_VOCAB);
      memcpy(text + tlen, vocab + vstart[v], vlen[v]);
      tlen += vlen[v];
      text[tlen++] = ' ';
    }
    done += chunk;

    /* Tokenise and count it. */
    size_t i = 0;
    while (i < tlen) {
      while (i < tlen && text[i] == ' ') ++i;
      size_t start = i;
      while (i < tlen && text[i] != ' ') ++i;
      if (i > start && !wc_add(&t, text + start, i - start)) goto out;
    }
  }

  sum = t.distinct;
  for (size_t s = 0; s < ((size_t)1 << WC_TABLE_BITS); ++s) {
    const wc_entry* e = &t.slots[s];
    if (e->len) sum = sum * 31 + (e->hash ^ ((uint64_t)e->count << 1));
  }
out:
  free(vocab);
  free(vstart);
  free(vlen);
  free(text);
  free(t.slots);
  free(t.arena);
  return sum;
}
