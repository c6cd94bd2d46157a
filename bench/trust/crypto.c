/*
 * The cost of each way to say who said something, per message, on this
 * machine (libsodium as Debian 12 ships it). bench/trust/run.sh builds
 * and runs it; README.md has the numbers.
 *
 *   sign        Ed25519 signature of a message (what every broadcast,
 *               reply, report and claim now carries)
 *   verify      its check, done once per message per receiver
 *   kx          a per-pair key with crypto_kx: both sides' X25519 keys
 *               from their Ed25519 node keys, then the session keys (what
 *               a pair pays once before it can MAC)
 *   mac         a BLAKE2b-256 MAC with a session key (what each message
 *               between a pair would cost after kx)
 *
 * usage: crypto [MESSAGE_BYTES [ITERATIONS]]
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <sodium.h>

static double
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

int
main(int argc, char **argv)
{
	size_t len = argc > 1 ? (size_t)atol(argv[1]) : 300;
	long n = argc > 2 ? atol(argv[2]) : 20000;
	unsigned char pk[32], sk[64], pk2[32], sk2[64], sig[64];
	unsigned char xpk[32], xsk[32], xpk2[32], rx[32], tx[32], mac[32];
	unsigned char *msg = malloc(len);
	volatile int bad = 0;
	double t;

	if (sodium_init() < 0 || msg == NULL)
		return 1;
	randombytes_buf(msg, len);
	crypto_sign_keypair(pk, sk);
	crypto_sign_keypair(pk2, sk2);

	t = now_us();
	for (long i = 0; i < n; i++) {
		msg[0] = (unsigned char)i;
		crypto_sign_detached(sig, NULL, msg, len, sk);
	}
	printf("sign    %7.1f us  (%zu-byte message)\n", (now_us() - t) / n,
	    len);
	t = now_us();
	for (long i = 0; i < n; i++)
		bad |= crypto_sign_verify_detached(sig, msg, len, pk);
	printf("verify  %7.1f us\n", (now_us() - t) / n);
	t = now_us();
	for (long i = 0; i < n / 4; i++) {
		bad |= crypto_sign_ed25519_pk_to_curve25519(xpk2, pk2);
		bad |= crypto_sign_ed25519_sk_to_curve25519(xsk, sk);
		bad |= crypto_sign_ed25519_pk_to_curve25519(xpk, pk);
		bad |= crypto_kx_client_session_keys(rx, tx, xpk, xsk, xpk2);
	}
	printf("kx      %7.1f us  (once per pair)\n", (now_us() - t) / (n / 4));
	t = now_us();
	for (long i = 0; i < n; i++) {
		msg[0] = (unsigned char)i;
		crypto_generichash(mac, sizeof(mac), msg, len, tx, sizeof(tx));
	}
	printf("mac     %7.1f us  (per message, after kx)\n",
	    (now_us() - t) / n);
	free(msg);
	return bad != 0;
}
