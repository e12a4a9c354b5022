/*
 * dialplan.h - dialled numbers and the patterns that allow them (pure
 * functions, no state).
 *
 * Patterns are the ones PBX administrators know, matched against the whole
 * normalised number:
 *   X  any digit 0-9        Z  1-9        N  2-9
 *   [1-5,7]  one digit of a set (ranges and single digits)
 *   .  one or more of anything (only at the end)
 *   !  zero or more of anything (only at the end)
 *   anything else (digits, +, *, #) stands for itself.
 * e.g. "+1NXXNXXXXXX" (North American numbers), "+44Z." (the UK).
 */
#ifndef SB_SIP_DIALPLAN_H
#define SB_SIP_DIALPLAN_H

#include <stdbool.h>
#include <stddef.h>

/* Drop the separators people write (spaces, '-', '.', '(', ')'); keep a
 * leading '+', digits, '*' and '#'. False when anything else is left or
 * it does not fit. */
bool dial_normalise(const char *in, char *out, size_t size);

/* Does the whole number match the pattern? */
bool dial_match(const char *pattern, const char *number);

/* NULL when the pattern is well formed, else what is wrong with it. */
const char *dial_pattern_problem(const char *pattern);

/* Are two numbers the same, a leading '+' aside? */
bool dial_same_number(const char *a, const char *b);

#endif
