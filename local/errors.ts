/** An error answered on the wire as AWS does: HTTP 400 with `{ "__type": name, "message" }`. */
export class AwsError extends Error {
  readonly status: number;
  constructor(name: string, message: string, status = 400) {
    super(message);
    this.name = name;
    this.status = status;
  }
}
