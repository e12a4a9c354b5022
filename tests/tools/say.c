/*
 * say.c - test tool: text spoken by the prompts' voice (flite, cmu_us_slt)
 * at 8 kHz, written as a 16-bit mono WAV file, with silence either side,
 * so tests can speak to the server over RTP as a caller would.
 *
 *   sb-say [--seed N] [--pad MS] TEXT OUT.wav
 *
 * flite excites unvoiced sounds with rand() noise: the seed (default 1)
 * makes each take of the same text differ a little, like a caller saying
 * it again. --pad is the silence before and after (default 300 ms).
 */
#include "voice/synth.h"
#include "voice/wav.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int usage(void)
{
    fprintf(stderr, "usage: sb-say [--seed N] [--pad MS] TEXT OUT.wav\n");
    return 2;
}

int main(int argc, char **argv)
{
    unsigned seed = 1, pad_ms = 300;
    int i = 1;

    for (; i + 1 < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
        if (strcmp(argv[i], "--seed") == 0)
            seed = (unsigned)strtoul(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--pad") == 0)
            pad_ms = (unsigned)strtoul(argv[i + 1], NULL, 10);
        else
            return usage();
    }
    if (argc - i != 2)
        return usage();
    int16_t *speech = NULL;
    size_t n = 0;
    srand(seed);
    if (synth_render_8k(argv[i], &speech, &n) != 0) {
        fprintf(stderr, "sb-say: flite could not speak \"%s\"\n", argv[i]);
        return 1;
    }
    size_t pad = (size_t)pad_ms * 8;
    int16_t *all = calloc(n + 2 * pad, sizeof(int16_t));
    if (!all) {
        free(speech);
        return 1;
    }
    memcpy(all + pad, speech, n * sizeof(int16_t));
    int err = voice_write_wav(argv[i + 1], all, n + 2 * pad);
    free(speech);
    free(all);
    if (err) {
        fprintf(stderr, "sb-say: cannot write %s\n", argv[i + 1]);
        return 1;
    }
    return 0;
}
