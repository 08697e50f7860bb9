// SES's answers, read as the Mailer port's: "not sent, maybe later", "not sent, never", or unknown.
import { SESv2ServiceException } from '@aws-sdk/client-sesv2';
import { mailError } from '../../functions/adapters/mail.ts';
import { MailNotSent, MailRefused } from '../../functions/app/ports.ts';

const ses = (name: string, httpStatusCode: number | undefined, fault: 'client' | 'server' = 'client') =>
  new SESv2ServiceException({ name, $fault: fault, $metadata: { httpStatusCode }, message: `${name} said no` });

it.each([
  ['TooManyRequestsException', 429],
  ['LimitExceededException', 400],
  ['SendingPausedException', 400],
  ['AccountSuspendedException', 400],
  ['AccessDeniedException', 403],
])('reads %s (%i) as not sent, to be tried again later', (name, status) => {
  const err = mailError(ses(name, status));
  expect(err).toBeInstanceOf(MailNotSent);
  expect((err as Error).message).toBe(`${name}: ${name} said no`);
});

it.each([
  ['MessageRejected', 400],
  ['BadRequestException', 400],
  ['MailFromDomainNotVerifiedException', 400],
  ['NotFoundException', 404],
])('reads %s (%i) as refused: not sent, and it would be refused again', (name, status) => {
  expect(mailError(ses(name, status))).toBeInstanceOf(MailRefused);
});

it('leaves a server error, or an error with no answer at all, unknown: the message may have gone out', () => {
  const server = ses('InternalFailure', 500, 'server');
  expect(mailError(server)).toBe(server);
  const noAnswer = ses('TimeoutError', undefined);
  expect(mailError(noAnswer)).toBe(noAnswer);
  const socket = new Error('socket hang up');
  expect(mailError(socket)).toBe(socket);
});
