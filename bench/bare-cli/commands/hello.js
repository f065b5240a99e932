import {Command} from '@oclif/core'

/** The one trivial command of the baseline CLI: plain JavaScript, so there is no compile step. */
export default class Hello extends Command {
  static description = 'Print "hello".'

  async run() {
    this.log('hello')
  }
}
