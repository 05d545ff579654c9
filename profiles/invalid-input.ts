/** Bad input (a flag, a variable, a descriptor field, an unreadable file), naming the fields at fault: exit 2. */
export class InvalidInputError extends Error {
  readonly fields: string[];
  constructor(message: string, fields: string[]) {
    super(message);
    this.name = 'InvalidInputError';
    this.fields = fields;
  }
}
